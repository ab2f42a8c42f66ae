using System.Text.Json.Nodes;

namespace Paude.TestSupport.StandInApi;

/// <summary>
/// What the scripted model answers to one Messages API call: text, then tool calls (each becomes a
/// <c>tool_use</c> content block; the stop reason is <c>tool_use</c> when there is at least one).
/// </summary>
public sealed record ScriptedReply(string Text, IReadOnlyList<ScriptedToolUse> ToolUses)
{
    /// <summary>A plain text answer (stop reason <c>end_turn</c>).</summary>
    public static ScriptedReply Say(string text) => new(text, []);

    /// <summary>One tool call, with a short text before it.</summary>
    public static ScriptedReply Use(string text, string tool, JsonObject input) => new(text, [new ScriptedToolUse(tool, input)]);
}

/// <summary>One <c>tool_use</c> block: the tool's name and its input.</summary>
public sealed record ScriptedToolUse(string Name, JsonObject Input);
