using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Paude.Credentials.Sources;

/// <summary>
/// Source <c>git</c>: <c>user.name</c>/<c>user.email</c> exactly as the host's git resolves them (global, XDG,
/// <c>include</c>/<c>includeIf</c>), as a config include file <c>git/identity.gitconfig</c>. Copying
/// <c>~/.gitconfig</c> would miss XDG and conditional identities, so real git is asked.
/// </summary>
internal sealed class GitIdentityCredentialSource(IOptions<CredentialOptions> options, ILogger<GitIdentityCredentialSource>? logger = null) : ICredentialSource
{
    public const string PackagePath = "git/identity.gitconfig";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    public string Name => "git";

    public async Task<IReadOnlyList<CredentialItem>> GetItemsAsync(CancellationToken cancellationToken = default)
    {
        var name = await GetAsync("user.name", cancellationToken).ConfigureAwait(false);
        var email = await GetAsync("user.email", cancellationToken).ConfigureAwait(false);
        if (name is null && email is null)
        {
            return [];
        }

        var text = new StringBuilder("# git identity resolved on the host by paude\n[user]\n");
        if (name is not null)
        {
            text.Append("\tname = ").Append(Quote(name)).Append('\n');
        }

        if (email is not null)
        {
            text.Append("\temail = ").Append(Quote(email)).Append('\n');
        }

        return [CredentialItem.FromContent(PackagePath, Encoding.UTF8.GetBytes(text.ToString()), secret: false, (UnixFileMode)0x1A4)];
    }

    private async Task<string?> GetAsync(string key, CancellationToken ct)
    {
        var o = options.Value;
        var start = new ProcessStartInfo(o.GitExecutable)
        {
            ArgumentList = { "config", "--get", key },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = o.GitWorkingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
        };
        if (o.HomeDirectory is not null)
        {
            start.Environment["HOME"] = o.HomeDirectory;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Log.GitIdentityMissing(_logger, ex.Message);
            return null;
        }

        using (process)
        {
            process.StandardInput.Close();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            try
            {
                var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                var value = (await stdout.ConfigureAwait(false)).TrimEnd('\n', '\r');
                _ = await stderr.ConfigureAwait(false);

                // Exit code 1 = key not set; anything else is a broken config, which must not stop the session.
                if (process.ExitCode != 0 || value.Length == 0)
                {
                    Log.GitIdentityMissing(_logger, key);
                    return null;
                }

                return value;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new CredentialPackagingException($"'git config --get {key}' did not finish within {Timeout.TotalSeconds:F0} s.");
            }
        }
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
