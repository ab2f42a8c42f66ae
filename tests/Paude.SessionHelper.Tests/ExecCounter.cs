using System.Reflection;
using Paude.Sessions;

namespace Paude.SessionHelper.Tests;

/// <summary>
/// A real backend behind a counter: every call is passed on unchanged; <see cref="Count"/> is how many processes were
/// started in sessions (<see cref="ISessionBackend.StartProcessAsync"/>: each exec, the helper's included).
/// </summary>
public class ExecCounter : DispatchProxy
{
    private ISessionBackend _inner = null!;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public static ExecCounter Create(ISessionBackend inner)
    {
        var proxy = Create<ISessionBackend, ExecCounter>();
        var counter = (ExecCounter)(object)proxy;
        counter._inner = inner;
        return counter;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(ISessionBackend.StartProcessAsync)) Interlocked.Increment(ref _count);
        try { return targetMethod.Invoke(_inner, args); }
        catch (TargetInvocationException e) when (e.InnerException is not null) { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException); throw; }
    }
}
