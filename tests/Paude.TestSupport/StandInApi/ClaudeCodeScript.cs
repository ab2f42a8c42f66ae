using System.Text.Json.Nodes;

namespace Paude.TestSupport.StandInApi;

/// <summary>
/// The scripted model of the end-to-end run: the main agent loop (a request offering the Bash tool) is told to
/// write <see cref="FileName"/>, then to commit it with git, then to stop; anything else the client asks the
/// model at start (titles, quota probes without tools) gets a short text.
/// </summary>
public static class ClaudeCodeScript
{
    /// <summary>The file the scripted model makes the agent write.</summary>
    public const string FileName = "hello.txt";

    /// <summary>What the file holds.</summary>
    public const string FileContent = "Hello from the real Claude Code in a Paude sandbox.\n";

    /// <summary>The message of the commit the scripted model makes the agent run.</summary>
    public const string CommitMessage = "Add hello.txt (written by Claude Code)";

    /// <summary>The reply to <paramref name="request"/>; paths are in <paramref name="workspace"/> (the session's).</summary>
    public static ScriptedReply Reply(RecordedRequest request, string workspace)
    {
        var json = request.Json;
        var tools = json?["tools"] as JsonArray;
        if (tools is null || !tools.Any(t => t?["name"]?.GetValue<string>() == "Bash"))
        {
            return ScriptedReply.Say("ok");
        }

        var results = (json!["messages"] as JsonArray ?? [])
            .SelectMany(m => m?["content"] as JsonArray ?? [])
            .Count(c => c?["type"]?.GetValue<string>() == "tool_result");
        return results switch
        {
            0 => ScriptedReply.Use("I will write the file.", "Write", new JsonObject
            {
                ["file_path"] = $"{workspace}/{FileName}",
                ["content"] = FileContent,
            }),
            1 => ScriptedReply.Use("Now I commit it.", "Bash", new JsonObject
            {
                ["command"] = $"cd {workspace} && git add {FileName} && git commit -q -m '{CommitMessage}' && git log --oneline -1",
                ["description"] = "Commit the new file",
            }),
            _ => ScriptedReply.Say("Done: hello.txt is committed."),
        };
    }
}
