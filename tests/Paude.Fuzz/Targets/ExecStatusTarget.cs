using System.Text;
using Paude.Backends.OpenShift.Exec;
using Paude.Errors;

namespace Paude.Fuzz.Targets;

/// <summary>
/// <see cref="ExecSession.ParseStatus"/> on the channel-3 status a Kubernetes API server (or anything posing as one)
/// sends. Promises: an exit code, or <see cref="BackendOperationException"/>; nothing else.
/// </summary>
public sealed class ExecStatusTarget : IFuzzTarget
{
    public string Name => "execstatus";

    public void Run(byte[] input)
    {
        try
        {
            _ = ExecSession.ParseStatus(Encoding.UTF8.GetString(input), "fuzz");
        }
        catch (BackendOperationException)
        {
        }
    }
}
