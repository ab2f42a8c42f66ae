using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Cli.Output;

// The --output json shapes. Field names are part of the CLI's contract with scripts: add fields, never rename.

internal sealed record SessionView(
    string Name,
    string Backend,
    string Status,
    string? StatusReason,
    string? Workspace,
    DateTimeOffset? CreatedAt,
    string? AgentImage,
    IReadOnlyList<string>? AllowedDomains,
    LimitsView? Limits)
{
    public static SessionView From(SessionInfo info) => new(
        info.Name.Value,
        info.Backend,
        StatusText(info.Status),
        info.StatusReason,
        info.Workspace,
        info.CreatedAt,
        info.AgentImage,
        info.Egress?.Entries,
        info.Limits is { } l ? new LimitsView(l.Cpus, l.MemoryBytes, l.Pids, l.CpuRequest, l.MemoryRequestBytes, l.Gpus) : null);

    public static string StatusText(SessionStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>The agent's limits in force (<see cref="SessionInfo.Limits"/>); null requests are the backend's default; GPUs -1 is all.</summary>
internal sealed record LimitsView(double Cpus, long MemoryBytes, int Pids, double? CpuRequest, long? MemoryRequestBytes, int Gpus);

internal sealed record SessionListView(IReadOnlyList<SessionView> Sessions);

internal sealed record DeleteView(string Name, string Backend, bool Deleted);

internal sealed record AllowedDomainsView(string Name, string Backend, bool Unrestricted, IReadOnlyList<string> Entries, IReadOnlyList<string> Domains)
{
    public static AllowedDomainsView From(string name, string backend, EgressPolicy policy) =>
        new(name, backend, policy.IsUnrestricted, policy.Entries, policy.Domains);
}

internal sealed record BlockedHostView(string Host, int Count, DateTimeOffset LastSeen);

internal sealed record BlockedRequestView(DateTimeOffset Time, string Method, string Host, string Url);

internal sealed record BlockedDomainsView(string Name, string Backend, IReadOnlyList<BlockedHostView> Hosts, IReadOnlyList<BlockedRequestView>? Requests);

internal sealed record PortForwardView(string Name, string Backend, string LocalAddress, int LocalPort, int SessionPort);

/// <summary>A finished cluster image build (<c>paude image build</c>): <c>DigestImage</c> is the reference to give sessions.</summary>
internal sealed record ImageBuildView(string Backend, string Namespace, string ImageStream, string Tag, string Image, string? DigestImage, string Build, double Seconds);

/// <summary>A pushed image (<c>paude image push</c>): <c>DigestImage</c> is the reference to give sessions.</summary>
internal sealed record ImagePushView(string Source, string Image, string Digest, string DigestImage, double Seconds);

/// <summary>An image pull Secret written by <c>paude image pull-secret create</c> (never its content).</summary>
internal sealed record PullSecretView(string Backend, string Namespace, string Secret, string Server, bool Created);

internal sealed record ExecView(string Name, string Backend, int ExitCode, string Stdout, string Stderr);

internal sealed record TransferView(string Name, string Backend, string Direction, string LocalPath, string ContainerPath, IReadOnlyList<string> LeftOut);

internal sealed record SyncView(
    string Name,
    string Backend,
    string Workspace,
    string Strategy,
    string Direction,
    bool DryRun,
    int CommitsTransferred,
    IReadOnlyList<string> FilesChanged,
    IReadOnlyList<string> FilesDeleted,
    long BytesMoved,
    IReadOnlyList<string> RefsWritten,
    IReadOnlyList<string> BackupRefs,
    IReadOnlyList<string> Conflicts,
    IReadOnlyList<string> Warnings,
    string? Commit)
{
    public static SyncView From(string name, string backend, string workspace, Paude.Sync.SyncResult r) => new(
        name, backend, workspace, r.Strategy.ToString().ToLowerInvariant(),
        r.Direction == Paude.Sync.SyncDirection.FromSession ? "from" : "to", r.DryRun, r.CommitsTransferred,
        r.FilesChanged, r.FilesDeleted, r.BytesMoved, r.RefsWritten, r.BackupRefs, r.Conflicts, r.Warnings, r.Commit);
}

internal sealed record CredentialSourcesView(IReadOnlyList<string> Sources);

internal sealed record ErrorBody(int ExitCode, string Kind, string Message, IReadOnlyList<string>? Errors);

internal sealed record ErrorView(ErrorBody Error);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SessionView))]
[JsonSerializable(typeof(PortForwardView))]
[JsonSerializable(typeof(SessionListView))]
[JsonSerializable(typeof(DeleteView))]
[JsonSerializable(typeof(AllowedDomainsView))]
[JsonSerializable(typeof(BlockedDomainsView))]
[JsonSerializable(typeof(ExecView))]
[JsonSerializable(typeof(ImageBuildView))]
[JsonSerializable(typeof(PullSecretView))]
[JsonSerializable(typeof(ImagePushView))]
[JsonSerializable(typeof(TransferView))]
[JsonSerializable(typeof(SyncView))]
[JsonSerializable(typeof(CredentialSourcesView))]
[JsonSerializable(typeof(ErrorView))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the CLI writes with: the generated one plus an encoder that leaves quotes and non-ASCII text
    /// readable (the output is for scripts and terminals, never embedded in HTML).
    /// </summary>
    public static CliJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
