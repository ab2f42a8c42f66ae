using System.Text;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Model;

/// <summary>
/// Runs one generated sequence against a real local git repository and two real Podman sessions (shared, one fresh
/// workspace each per sequence), checking the model after every step and at the end. Throws with the step log on
/// the first broken promise.
/// </summary>
internal sealed class ModelRunner(SyncFixture fixture, IReadOnlyList<SessionName> sessions) : IDisposable
{
    private readonly SyncModel _model = new();
    private readonly List<string> _log = [];
    private readonly string[] _workspaces = [.. sessions.Select(_ => Paude.Conformance.Sync.SyncSessions.NewWorkspace())];
    private LocalRepo _local = null!;
    private string _outside = null!;
    private int _step;

    public async Task RunAsync(IReadOnlyList<SyncOp> ops)
    {
        _local = await LocalRepo.CreateAsync();
        // A folder beside the workspace that links planted by a session point at: nothing may ever appear in it.
        _outside = _local.Path + "-outside";
        Directory.CreateDirectory(_outside);
        await File.WriteAllTextAsync(Path.Combine(_outside, "keep"), "keep");
        await _local.CommitAsync("f0.txt", "initial\n", "initial");
        for (var s = 0; s < sessions.Count; s++)
        {
            await SyncAsync(s, SyncDirection.ToSession, SyncStrategy.Branch, force: false, CancellationToken.None);
        }

        foreach (var op in ops)
        {
            _step++;
            _log.Add(op.ToString());
            await ApplyAsync(op);
        }

        await FinishAsync();
    }

    private string Token() => $"c{_step}-{Guid.NewGuid():N}"[..20] + "\n";

    private async Task ApplyAsync(SyncOp op)
    {
        var file = SyncOp.Files[op.A];
        var other = SyncOp.Files[op.B];
        var s = op.Session % sessions.Count;
        switch (op.Kind)
        {
            case OpKind.LocalEdit:
                // Over a folder a type change or a sync left there, an edit replaces it (as an editor's save-as would).
                if (Directory.Exists(Path.Combine(_local.Path, file)))
                {
                    DeletePath(Path.Combine(_local.Path, file));
                }

                _local.Write(file, Token());
                break;
            case OpKind.SessionEdit:
                await SessionShellAsync(s, "{ [ -d \"$1\" ] && [ ! -L \"$1\" ] && rm -rf -- \"$1\"; mkdir -p \"$(dirname \"$1\")\"; } ; printf '%s' \"$2\" > \"$1\"", file, Token());
                break;
            case OpKind.LocalCommit:
                await LocalGitAsync("add", "-A");
                await LocalGitAsync("commit", "-q", "--allow-empty", "-m", $"L{_step}");
                break;
            case OpKind.SessionCommit:
                await SessionShellAsync(s, "git add -A && git -c user.name=A -c user.email=a@a commit -q --allow-empty -m \"$1\"", $"S{_step}");
                break;
            case OpKind.LocalAmend:
                await LocalGitAsync("commit", "-q", "--amend", "--allow-empty", "-m", $"L{_step} amended");
                break;
            case OpKind.SessionAmend:
                await SessionShellAsync(s, "git add -A && git -c user.name=A -c user.email=a@a commit -q --amend --allow-empty -m \"$1\"", $"S{_step} amended");
                break;
            case OpKind.LocalDelete:
                await LocalGitAsync("rm", "-rfq", "--ignore-unmatch", "--", file);
                DeletePath(Path.Combine(_local.Path, file));
                break;
            case OpKind.SessionDelete:
                await SessionShellAsync(s, "rm -rf -- \"$1\"", file);
                break;
            case OpKind.LocalRename:
                await LocalShellAsync("[ -e \"$1\" ] && [ \"$1\" != \"$2\" ] && mkdir -p \"$(dirname \"$2\")\" && rm -rf -- \"$2\" && mv -- \"$1\" \"$2\"", file, other);
                break;
            case OpKind.SessionRename:
                await SessionShellAsync(s, "[ -e \"$1\" ] && [ \"$1\" != \"$2\" ] && mkdir -p \"$(dirname \"$2\")\" && rm -rf -- \"$2\" && mv -- \"$1\" \"$2\"", file, other);
                break;
            case OpKind.LocalSwitchBranch:
                // A switch the working tree does not allow just fails, as it would for a user.
                await LocalShellAsync("git switch -q \"$1\" 2>/dev/null || git switch -q -c \"$1\"", $"b{op.B % 2}");
                break;
            case OpKind.SessionSwitchBranch:
                await SessionShellAsync(s, "git switch -q \"$1\" 2>/dev/null || git switch -q -c \"$1\"", $"b{op.B % 2}");
                break;
            case OpKind.LocalLink:
                await LocalShellAsync("[ ! -d \"$1\" ] && mkdir -p \"$(dirname \"$1\")\" && ln -sfn \"$(basename \"$2\")\" \"$1.link\"", file, other);
                break;
            case OpKind.SessionLink:
                await SessionShellAsync(s, "[ ! -d \"$1\" ] && mkdir -p \"$(dirname \"$1\")\" && ln -sfn \"$(basename \"$2\")\" \"$1.link\"", file, other);
                break;
            case OpKind.SessionLinkOutside:
                // Links out of the workspace to the local "outside" folder's path and to the session's root, then a
                // write through each: a pull must refuse them or keep them as links, never write through them.
                await SessionShellAsync(s, "mkdir -p d && ln -sfn \"$1\" d/out && ln -sfn / d/root && ln -sfn ../../.. up",
                    Path.GetRelativePath(Path.Combine(_local.Path, "d"), _outside));
                break;
            case OpKind.KillMidPull:
                using (var kill = new CancellationTokenSource(TimeSpan.FromMilliseconds(op.A * 150)))
                {
                    await SyncAsync(s, SyncDirection.FromSession, op.Strategy, op.Force, kill.Token);
                }

                break;
            case OpKind.Pull:
                await SyncAsync(s, SyncDirection.FromSession, op.Strategy, op.Force, CancellationToken.None);
                break;
            case OpKind.Push:
                await SyncAsync(s, SyncDirection.ToSession, op.Strategy, op.Force, CancellationToken.None);
                break;
            case OpKind.LocalTypeChange:
                DeletePath(Path.Combine(_local.Path, file));
                _local.Write(file + "/inner.txt", Token());
                break;
            case OpKind.SessionTypeChange:
                await SessionShellAsync(s, "rm -rf -- \"$1\" && mkdir -p \"$1\" && printf '%s' \"$2\" > \"$1/inner.txt\"", file, Token());
                break;
        }
    }

    private async Task SyncAsync(int s, SyncDirection direction, SyncStrategy strategy, bool force, CancellationToken cancellationToken)
    {
        var tips = await TipsAsync();
        var localBefore = Files(_local.Path);
        var remoteBefore = await SessionFilesAsync(s);
        var stateBefore = await _local.StateAsync();
        var conflicts = direction == SyncDirection.FromSession && strategy == SyncStrategy.Exclude ? _model.ExcludeConflicts(s, localBefore, remoteBefore) : [];
        var tokensBefore = ModelSwitches.SyncSafety && direction == SyncDirection.FromSession ? localBefore.Values.ToHashSet(StringComparer.Ordinal) : [];
        SyncResult? result = null;
        Exception? refusal = null;
        try
        {
            result = await fixture.Sync.SyncAsync(sessions[s], _local.Path, new SyncOptions
            {
                Direction = direction,
                Strategy = strategy,
                Force = force,
                SessionWorkspace = _workspaces[s],
            }, null, cancellationToken);
            _log.Add($"  -> ok: {result.CommitsTransferred} commits, {result.FilesChanged.Count} changed, {result.FilesDeleted.Count} deleted, conflicts [{string.Join(", ", result.Conflicts)}], backups [{string.Join(", ", result.BackupRefs)}]");
        }
        catch (Exception e) when (e is PaudeException or OperationCanceledException)
        {
            refusal = e;
            _log.Add($"  -> {e.GetType().Name}: {First(e.Message)}");
        }
        catch (Exception e)
        {
            // Sync promises typed errors only; anything else is a bug, reported with the steps that led to it.
            _log.Add($"  -> {e.GetType().Name}: {First(e.Message)}");
            Check(false, $"the sync threw {e.GetType().FullName} (not a typed Paude error): {e.Message}\n{e.StackTrace}\nlocal state: {await _local.StateAsync()}");
        }

        var localAfter = Files(_local.Path);
        var stateAfter = await _local.StateAsync();
        var killed = refusal is OperationCanceledException;
        if (result is not null)
        {
            _model.Synced(s, strategy, localAfter, await SessionFilesAsync(s));
        }
        else
        {
            _model.Unknown(s);
        }

        if (direction == SyncDirection.FromSession && !killed)
        {
            if (strategy == SyncStrategy.Branch || (refusal is not null && !(strategy == SyncStrategy.Exclude && refusal is SyncConflictException)))
            {
                Check(stateAfter == stateBefore, $"a {(refusal is null ? "branch pull" : "refused pull")} changed the user's HEAD, index or working tree:\n--- before\n{stateBefore}\n--- after\n{stateAfter}");
            }

            foreach (var path in conflicts)
            {
                Check(localAfter.GetValueOrDefault(path) == localBefore[path], $"exclude conflict on {path} (local and session both changed it since the last exclude sync) was overwritten: local had {localBefore[path].Trim()}, now {localAfter.GetValueOrDefault(path)?.Trim() ?? "(gone)"}");
            }

            if (ModelSwitches.SyncSafety)
            {
                await CheckBackedUpAsync(tokensBefore, localAfter);
            }
        }

        await CheckKeptAsync(tips, $"{direction} {strategy}{(force ? " force" : string.Empty)} with s{s}");
        CheckOutsideUntouched();
    }

    /// <summary>Ends like a user would: a branch pull of each session (forced if refused), checked like every sync.</summary>
    private async Task FinishAsync()
    {
        for (var s = 0; s < sessions.Count; s++)
        {
            _log.Add($"final Pull(s{s} Branch)");
            await SyncAsync(s, SyncDirection.FromSession, SyncStrategy.Branch, force: false, CancellationToken.None);
            if (_log[^1].Contains("UnsafeSyncException", StringComparison.Ordinal))
            {
                _log.Add($"final Pull(s{s} Branch force)");
                await SyncAsync(s, SyncDirection.FromSession, SyncStrategy.Branch, force: true, CancellationToken.None);
            }
        }

        await _local.GitAsync("fsck", "--no-progress", "--strict");
        CheckOutsideUntouched();
    }

    /// <summary>Every branch tip on both sides now: what a sync that starts now must not lose.</summary>
    private async Task<List<string>> TipsAsync()
    {
        var tips = Lines(await _local.GitAsync("for-each-ref", "--format=%(objectname)", "refs/heads")).ToList();
        for (var s = 0; s < sessions.Count; s++)
        {
            var session = await Podman.RunAsync(["exec", SyncFixture.Container(sessions[s]), "git", "-C", _workspaces[s], "for-each-ref", "--format=%(objectname)", "refs/heads"]);
            if (session.ExitCode == 0)
            {
                tips.AddRange(Lines(session.StandardOutput));
            }
        }

        return [.. tips.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The model's first promise: each tip from before a sync is still reachable from some ref afterwards, locally
    /// (backups included) or in a session. (Later user actions, an amend or a switch, may drop commits: that is the
    /// user's doing, so the check is per sync.)
    /// </summary>
    private async Task CheckKeptAsync(List<string> tips, string sync)
    {
        const string Missing = "cd \"$1\" 2>/dev/null || exit 0; shift; for c; do git for-each-ref --contains \"$c\" 2>/dev/null | grep -q . || echo \"$c\"; done";
        var missing = Lines((await ProcessRunner.RunAsync("bash", ["-c", Missing, "bash", _local.Path, .. tips])).StandardOutput).ToList();
        for (var s = 0; s < sessions.Count && missing.Count > 0; s++)
        {
            missing = Lines((await Podman.RunAsync(["exec", SyncFixture.Container(sessions[s]), "bash", "-c", Missing, "bash", _workspaces[s], .. missing])).StandardOutput).ToList();
        }

        Check(missing.Count == 0, $"commit(s) {string.Join(", ", missing)}, branch tips before {sync}, are reachable neither locally nor in a session after it");
    }

    /// <summary>Issue 12: content a pull removed from the working tree is in a backup ref or a backup folder.</summary>
    private async Task CheckBackedUpAsync(HashSet<string> before, Dictionary<string, string> after)
    {
        var gone = before.Except(after.Values).ToList();
        foreach (var token in gone)
        {
            var inRefs = await ProcessRunner.RunAsync("bash", ["-c", "git -C \"$1\" grep -q -F -e \"$2\" $(git -C \"$1\" for-each-ref --format='%(refname)') -- 2>/dev/null || grep -rqF --exclude-dir=objects -e \"$2\" \"$1/.git\"", "bash", _local.Path, token.Trim()]);
            Check(inRefs.ExitCode == 0, $"local content {token.Trim()} was removed by a pull and is in no ref and no backup folder");
        }
    }

    private void CheckOutsideUntouched()
    {
        var entries = Directory.EnumerateFileSystemEntries(_outside, "*", SearchOption.AllDirectories).ToList();
        Check(entries.Count == 1 && File.ReadAllText(Path.Combine(_outside, "keep")) == "keep", $"something was written outside the workspace: {string.Join(", ", entries)}");
    }

    private void Check(bool condition, string problem)
    {
        if (!condition)
        {
            throw new ModelViolationException($"{problem}\nsteps:\n  {string.Join("\n  ", _log)}");
        }
    }

    private async Task<Dictionary<string, string>> SessionFilesAsync(int s)
    {
        // path NUL content NUL for every regular file outside .git (contents are single short tokens).
        var listing = await Podman.RunAsync(["exec", SyncFixture.Container(sessions[s]), "bash", "-c",
            "cd \"$1\" 2>/dev/null || exit 0; find . -path ./.git -prune -o -type f -print0 | while IFS= read -r -d '' f; do printf '%s\\0%s\\0' \"${f#./}\" \"$(cat -- \"$f\"; printf x)\"; done", "bash", _workspaces[s]]);
        var parts = listing.EnsureSuccess("list session files").StandardOutput.Split('\0');
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < parts.Length; i += 2)
        {
            files[parts[i]] = parts[i + 1][..^1];
        }

        return files;
    }

    private static Dictionary<string, string> Files(string root)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, file.FullName).Replace('\\', '/');
            if (!relative.StartsWith(".git/", StringComparison.Ordinal) && file.LinkTarget is null && !InsideLink(root, relative))
            {
                files[relative] = File.ReadAllText(file.FullName);
            }
        }

        return files;
    }

    private static bool InsideLink(string root, string relative)
    {
        var parts = relative.Split('/');
        var path = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            path = Path.Combine(path, parts[i]);
            if (new DirectoryInfo(path).LinkTarget is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static void DeletePath(string path)
    {
        if (new FileInfo(path).LinkTarget is not null || File.Exists(path))
        {
            File.Delete(path);
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>A user's git command: one the state does not allow (git rm over a type change...) fails as it would for a user, noted in the log.</summary>
    private async Task LocalGitAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("git", ["-C", _local.Path, .. args]);
        if (result.ExitCode != 0)
        {
            _log.Add($"  (git {args[0]} failed: {First(result.StandardError)})");
        }
    }

    private Task LocalShellAsync(string script, params string[] args) =>
        ProcessRunner.RunAsync("bash", ["-c", script, "bash", .. args], workingDirectory: _local.Path);

    private Task SessionShellAsync(int s, string script, params string[] args) =>
        Podman.RunAsync(["exec", "-w", _workspaces[s], SyncFixture.Container(sessions[s]), "bash", "-c", script, "bash", .. args]);

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string First(string text) => text.Split('\n')[0] is var line && line.Length > 200 ? line[..200] : text.Split('\n')[0];

    public void Dispose()
    {
        _local?.Dispose();
        if (_outside is not null && Directory.Exists(_outside))
        {
            Directory.Delete(_outside, recursive: true);
        }

        foreach (var (session, workspace) in sessions.Zip(_workspaces))
        {
            _ = Podman.RunAsync(["exec", SyncFixture.Container(session), "rm", "-rf", workspace]).GetAwaiter().GetResult();
        }
    }
}

/// <summary>The product broke a promise of the model.</summary>
public sealed class ModelViolationException(string message) : Exception(message);
