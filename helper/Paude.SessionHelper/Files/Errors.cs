using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Files;

/// <summary>Maps an errno to the protocol's error codes.</summary>
internal static class Errors
{
    public static HelperException FromErrno(int errno, string what) => errno switch
    {
        Libc.ENOENT => new HelperException(ErrorCode.NotFound, $"{what}: not found"),
        Libc.ELOOP => new HelperException(ErrorCode.LinkRefused, $"{what}: is a symbolic link (refused)"),
        Libc.ENOTDIR => new HelperException(ErrorCode.BadPath, $"{what}: a component is not a folder"),
        Libc.ENOTEMPTY => new HelperException(ErrorCode.NotEmpty, $"{what}: folder not empty"),
        Libc.EISDIR => new HelperException(ErrorCode.IsDirectory, $"{what}: is a folder"),
        Libc.EEXIST => new HelperException(ErrorCode.Exists, $"{what}: exists"),
        Libc.ENOSPC => new HelperException(ErrorCode.IoError, $"{what}: no space (or inotify watch limit)"),
        _ => new HelperException(ErrorCode.IoError, $"{what}: errno {errno}"),
    };
}
