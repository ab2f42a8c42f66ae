using System.Security.Cryptography;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>
/// What a backend must provide to run <see cref="BackendConformanceTests{TFixture}"/>: an
/// <see cref="ISessionBackend"/> configured for the test, a unique run id, a hermetic "outside world" of hosts
/// the session's proxy can reach (no internet), and a way to list the backend's own resources of a session.
/// The fixture shares one running session (as the OpenShift-style user <c>1000680000:0</c>) across tests and
/// deletes every session it created. A backend that lacks part of what the suite checks says so in
/// <see cref="Capabilities"/> (those tests are reported skipped); one whose sessions do not see container paths
/// such as <c>/pvc/workspace</c> maps them in <see cref="SessionPath"/>.
/// </summary>
#pragma warning disable CA1001 // xunit ends a fixture's life through IAsyncLifetime.DisposeAsync, which disposes the lock.
public abstract class ConformanceFixture : IAsyncLifetime
#pragma warning restore CA1001
{
    /// <summary>The agent stand-in: leaves a marker and idles, so tests know the agent command really ran.</summary>
    public static readonly IReadOnlyList<string> AgentStandIn = ["bash", "-c", "echo started > /tmp/agent-started; exec sleep infinity"];

    /// <summary>An OpenShift-style arbitrary UID with group 0.</summary>
    public const string ArbitraryUser = "1000680000:0";

    /// <summary>The outside host the sessions are allowed to reach.</summary>
    public const string AllowedHost = "allowed.paude.test";

    /// <summary>An outside host that is never on the allow-list.</summary>
    public const string DeniedHost = "denied.paude.test";

    /// <summary>An outside host that starts denied and is allowed by a test that changes the allow-list.</summary>
    public const string LaterHost = "later.paude.test";

    /// <summary>The body every outside host serves at <c>/</c>.</summary>
    public const string OutsideBody = "outside-ok\n";

    private readonly SemaphoreSlim _sharedLock = new(1, 1);
    private readonly List<SessionName> _created = [];
    private SessionName? _shared;

    /// <summary>A short unique id of this run, used in every session name and resource label.</summary>
    public string RunId { get; } = "ct" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The backend under test.</summary>
    public abstract ISessionBackend Backend { get; }

    /// <summary>The allow-list sessions are created with.</summary>
    public static EgressPolicy TestPolicy { get; } = EgressPolicy.Parse([AllowedHost]);

    /// <summary>Starts the outside world and builds the backend.</summary>
    public abstract Task InitializeAsync();

    /// <summary>The address (IP) of the outside hosts, for proving a direct connection is impossible.</summary>
    public abstract Task<string> OutsideAddressAsync(CancellationToken cancellationToken = default);

    /// <summary>Lists every backend resource (containers, volumes, networks, pods, ...) that belongs to <paramref name="name"/>.</summary>
    public abstract Task<IReadOnlyList<string>> ListSessionResourcesAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether the environment itself blocks a session's direct (proxy-bypassing) connections. <c>false</c> where
    /// the backend only declares the isolation for a component the test environment does not run (NetworkPolicies
    /// on a Kubernetes test server without a network plugin); the suite then checks the declaration through
    /// <see cref="AssertNetworkIsolationDeclaredAsync"/> instead of the connection.
    /// </summary>
    public virtual bool EnforcesNetworkIsolation => true;

    /// <summary>
    /// Asserts that the session's declared isolation (e.g. NetworkPolicies) would block a direct connection on an
    /// enforcing environment. Required when <see cref="EnforcesNetworkIsolation"/> is <c>false</c>: the default fails
    /// the test, so the bypass test can never pass silently.
    /// </summary>
    public virtual Task AssertNetworkIsolationDeclaredAsync(SessionName name, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"{GetType().Name} does not enforce network isolation and does not say how it is declared.");

    /// <summary>What the backend supports beyond the core contract (default: <see cref="BackendCapabilities.All"/>).</summary>
    public virtual BackendCapabilities Capabilities => BackendCapabilities.All;

    /// <summary>
    /// The path a command in session <paramref name="name"/> uses for the container path <paramref name="path"/>
    /// (<c>/pvc/workspace/…</c>, <c>/tmp/…</c>); the file channel and working directories get the same path. The
    /// default is the path itself; a backend without a container file system maps it into the session's own folder.
    /// </summary>
    public virtual string SessionPath(SessionName name, string path) => path;

    /// <summary>
    /// The command that serves the files of <paramref name="directory"/> over HTTP on <c>127.0.0.1:<paramref name="port"/></c>
    /// inside the session, for the port-forward tests (default: busybox httpd, which the agent image ships).
    /// </summary>
    public virtual IReadOnlyList<string> HttpServerCommand(int port, string directory) =>
        ["busybox", "httpd", "-f", "-p", $"127.0.0.1:{port}", "-h", directory];

    /// <summary>Skips the calling test unless the backend declares <paramref name="needed"/>.</summary>
    public void Require(BackendCapabilities needed) =>
        Skip.IfNot((Capabilities & needed) == needed, $"{GetType().Name} does not declare {needed & ~Capabilities}");

    /// <summary>Removes what the fixture itself created outside the backend (outside world, leftovers by label).</summary>
    protected abstract Task CleanupAsync();

    /// <summary><see cref="AgentStandIn"/> with its marker at <see cref="SessionPath"/> of <c>/tmp/agent-started</c>.</summary>
    public IReadOnlyList<string> AgentStandInFor(SessionName name)
    {
        var marker = SessionPath(name, "/tmp/agent-started");
        return marker == "/tmp/agent-started"
            ? AgentStandIn
            : ["bash", "-c", "echo started > \"$1\"; exec sleep infinity", "agent", marker];
    }

    /// <summary>A session name unique to this run.</summary>
    public SessionName NewName(string purpose) => SessionName.Parse($"{RunId}-{purpose}");

    /// <summary>The spec tests create sessions from.</summary>
    public SessionSpec Spec(SessionName name, string? user = null) => new()
    {
        Name = name,
        AgentCommand = AgentStandInFor(name),
        Egress = TestPolicy,
        User = user,
    };

    /// <summary>Creates a session that the fixture deletes at the end even if the test does not.</summary>
    public async Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default)
    {
        lock (_created)
        {
            _created.Add(spec.ResolveName());
        }

        return await Backend.CreateAsync(spec, cancellationToken);
    }

    /// <summary>The shared running session (user <see cref="ArbitraryUser"/>), created on first use.</summary>
    public async Task<SessionName> SharedSessionAsync()
    {
        await _sharedLock.WaitAsync();
        try
        {
            if (_shared is { } existing)
            {
                var info = await Backend.GetAsync(existing);
                if (info?.Status != SessionStatus.Running)
                {
                    await Backend.StartAsync(existing);
                }

                return existing;
            }

            var name = NewName("shared");
            await CreateAsync(Spec(name, ArbitraryUser));
            _shared = name;
            return name;
        }
        finally
        {
            _sharedLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        List<SessionName> names;
        lock (_created)
        {
            names = [.. _created];
        }

        foreach (var name in names)
        {
            try
            {
                await Backend.DeleteAsync(name);
            }
#pragma warning disable CA1031 // Cleanup continues; CleanupAsync removes leftovers by label.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        await CleanupAsync();
        _sharedLock.Dispose();
    }
}
