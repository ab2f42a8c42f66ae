namespace Paude.Sync.Files;

/// <summary>
/// The fixed bash scripts the sync runs in the session (the agent image has bash, git, GNU find/sed/xargs/tar and
/// coreutils). Values always arrive as positional arguments. Output records are NUL-terminated.
/// </summary>
internal static class SessionScripts
{
    /// <summary>
    /// $1 = workspace, rest = name/path excludes. Prints <c>N</c> when the folder is missing, else one
    /// <c>&lt;sha256&gt;  &lt;path&gt;</c> record per regular file (no symlinks, devices or <c>.git</c> at any depth: the local side never takes files there; no
    /// <c>.paude-backup-*</c> folder: what a forced push moved aside stays in the session).
    /// </summary>
    public const string ListFiles = """
        cd -- "$1" 2>/dev/null || { printf 'N\0'; exit 0; }
        shift
        args=()
        for e in "$@"; do
          case "$e" in
            */*) args+=( -path "./$e" -prune -o ) ;;
            *) args+=( -name "$e" -prune -o ) ;;
          esac
        done
        find . -name .git -prune -o -name '*.paude-staging-*' -prune -o -name '.paude-backup-*' -prune -o "${args[@]}" -type f -print0 | sed -z 's|^\./||' | xargs -0 -r sha256sum -z --
        """;

    /// <summary>
    /// $1 = workspace, $2 = branch, rest = excludes. Prints <c>N</c> without a repository; else <c>B&lt;head branch&gt;</c>,
    /// <c>C&lt;head commit&gt;</c>, <c>T&lt;commit of the branch&gt;</c>, <c>D&lt;deleted path&gt;</c> and
    /// <c>H&lt;sha256&gt;  &lt;path&gt;</c> for every modified or untracked (not ignored) file.
    /// </summary>
    public const string ProbeRepository = """
        cd -- "$1" 2>/dev/null || { printf 'N\0'; exit 0; }
        [ -e .git ] || { printf 'N\0'; exit 0; }
        branch=$2
        shift 2
        printf 'B%s\0' "$(git symbolic-ref -q --short HEAD)"
        printf 'C%s\0' "$(git rev-parse -q --verify 'HEAD^{commit}')"
        printf 'T%s\0' "$(git rev-parse -q --verify "refs/heads/$branch^{commit}")"
        ex=( --exclude='*.paude-staging-*' --exclude='.paude-backup-*' )
        for e in "$@"; do ex+=( "--exclude=$e" ); done
        git ls-files -z -d | sed -z 's/^/D/'
        git ls-files -z -m -o --exclude-standard "${ex[@]}" | xargs -0 -r sha256sum -z -- 2>/dev/null | sed -z 's/^/H/'
        exit 0
        """;

    /// <summary>
    /// $1 = workspace. Prints one <c>&lt;commit id&gt; &lt;subject&gt;</c> record per commit reachable from any ref of the
    /// session's repository (stashes included), newest first, at most 20,000; nothing without a repository.
    /// </summary>
    public const string ListCommits = """
        cd -- "$1" 2>/dev/null || exit 0
        [ -e .git ] || exit 0
        git log --all -z -n 20000 --format='%H %s' 2>/dev/null
        exit 0
        """;

    /// <summary>$1 = workspace, $2 = initial branch: creates the repository (the first push into a session).</summary>
    public const string InitRepository = """
        set -e
        mkdir -p -- "$1"
        git init -q -b "$2" -- "$1"
        """;

    /// <summary>
    /// Makes the session's working tree follow a pushed commit. $1 = workspace, $2 = commit, $3 = branch,
    /// $4 = force (1 stashes the session's uncommitted work first), $5 = n, then n paths we uploaded earlier that
    /// go back to their committed state, then paths to delete. <c>git checkout</c> refuses (and changes nothing)
    /// when it would overwrite the session's own uncommitted work.
    /// </summary>
    public const string Follow = """
        set -e
        cd -- "$1"
        new=$2; branch=$3; force=$4; n=$5
        shift 5
        discard=( "${@:1:$n}" )
        shift "$n"
        for p in "${discard[@]}"; do
          if git --literal-pathspecs ls-files --error-unmatch -- "$p" >/dev/null 2>&1; then
            git --literal-pathspecs checkout -q -- "$p"
          else
            rm -f -- "$p"
          fi
        done
        if [ "$force" = 1 ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
          git stash push -q -m "paude sync: session work before a forced push"
        fi
        git checkout -q -B "$branch" "$new"
        git update-ref -d refs/paude/incoming 2>/dev/null || true
        if [ "$#" -gt 0 ]; then rm -f -- "$@"; fi
        """;

    /// <summary>$1 = workspace, rest = relative paths to delete.</summary>
    public const string Delete = """
        set -e
        cd -- "$1"
        shift
        rm -f -- "$@"
        """;

    /// <summary>$1 = workspace; stdin = NUL-separated relative paths; stdout = a tar of exactly those paths.</summary>
    public const string TarFiles = """
        cd -- "$1" && exec tar --no-recursion --null --verbatim-files-from -T - -cf -
        """;
}
