using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using LibGit2Sharp;

namespace Paude.Sync.Transport;

/// <summary>
/// Process-wide registration of the <c>paude-exec://</c> git transport. libgit2 only knows a scheme, so each
/// operation registers its <see cref="SessionEndpoint"/> under a random token and uses <c>paude-exec://&lt;token&gt;</c>
/// as the remote URL; the subtransport looks the endpoint up by that token.
/// </summary>
internal static class ExecTransport
{
    public const string Scheme = "paude-exec";

    /// <summary>The native libgit2 library shipped with LibGit2Sharp (its name carries the libgit2 commit).</summary>
    public const string NativeLibraryName = "git2-5853918";

    private static readonly ConcurrentDictionary<string, SessionEndpoint> Endpoints = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();
    private static bool s_registered;
    private static ErrorSetter? s_setError;

    private delegate int ErrorSetter(int errorClass, [MarshalAs(UnmanagedType.LPUTF8Str)] string message);

    /// <summary>Registers <paramref name="endpoint"/> and returns its URL and a lease that unregisters it.</summary>
    public static (string Url, IDisposable Lease) Register(SessionEndpoint endpoint)
    {
        EnsureRegistered();
        var token = Guid.NewGuid().ToString("N");
        Endpoints[token] = endpoint;
        return ($"{Scheme}://{token}/", new Lease(token));
    }

    /// <summary>Finds the endpoint of a <c>paude-exec://</c> URL.</summary>
    public static SessionEndpoint Resolve(string url)
    {
        var prefix = Scheme + "://";
        var token = url.StartsWith(prefix, StringComparison.Ordinal) ? url[prefix.Length..].TrimEnd('/') : string.Empty;
        return Endpoints.TryGetValue(token, out var endpoint)
            ? endpoint
            : throw new InvalidOperationException($"No session endpoint is registered for '{url}'.");
    }

    /// <summary>
    /// Sets libgit2's last error message. An exception thrown from a stream's Read/Write loses its message in
    /// LibGit2Sharp 0.32 (the caller sees an unrelated stale error); setting it here and returning -1 keeps it.
    /// </summary>
    public static int Fail(string message)
    {
        var setter = s_setError;
        if (setter is null)
        {
            lock (Gate)
            {
                if (s_setError is null && NativeLibrary.TryLoad(NativeLibraryName, typeof(Repository).Assembly, null, out var handle)
                    && NativeLibrary.TryGetExport(handle, "git_error_set_str", out var address))
                {
                    s_setError = Marshal.GetDelegateForFunctionPointer<ErrorSetter>(address);
                }

                setter = s_setError;
            }
        }

        // GIT_ERROR_NET = 12.
        setter?.Invoke(12, message);
        return -1;
    }

    private static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (!s_registered)
            {
                GlobalSettings.RegisterSmartSubtransport<ExecSmartSubtransport>(Scheme);
                s_registered = true;
            }
        }
    }

    /// <summary>Trims a remote stderr to something fit for an error message.</summary>
    public static string Describe(StringBuilder stderr)
    {
        var text = stderr.ToString().Trim();
        return text.Length > 2000 ? text[..2000] + "..." : text;
    }

    private sealed class Lease(string token) : IDisposable
    {
        public void Dispose() => Endpoints.TryRemove(token, out _);
    }
}
