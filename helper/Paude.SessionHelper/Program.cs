using Paude.SessionHelper;
using Paude.SessionHelper.Protocol;

// The session helper: speaks PROTOCOL.md on stdin/stdout until stdin ends. Nothing else is ever written to stdout;
// diagnostics go to stderr. "--version" prints the build and protocol version (how the host checks an installed copy).
if (args is ["--version"])
{
    Console.Out.WriteLine($"{Server.Build} protocol {Limits.ProtocolVersion}");
    return 0;
}
if (args.Length != 0)
{
    Console.Error.WriteLine("usage: paude-session-helper [--version]   (speaks PROTOCOL.md on stdin/stdout)");
    return 64;
}
using var stdin = Console.OpenStandardInput();
using var stdout = Console.OpenStandardOutput();
return new Server(new FrameIO(stdin, stdout)).Run();
