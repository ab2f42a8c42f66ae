using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>An API failure answered as a <c>Status</c> body with the same reason, code and message a real server uses.</summary>
internal sealed class KubeApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => Status(Code, Reason, Message, Details);

    public static JsonObject Status(int code, string reason, string message, JsonObject? details) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details?.DeepClone(),
        ["code"] = code,
    };

    private static JsonObject Detail(ResourceType type, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }

    public static KubeApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.Qualified} \"{name}\" not found", Detail(type, name));

    public static KubeApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.Qualified} \"{name}\" already exists", Detail(type, name));

    public static KubeApiException Conflict(ResourceType type, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", Detail(type, name));

    public static KubeApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static KubeApiException MethodNotAllowed() => new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

    public static KubeApiException Forbidden(ResourceType type, string name, string why) =>
        new(403, "Forbidden", $"{type.Qualified} \"{name}\" is forbidden: {why}", Detail(type, name));

    /// <summary>403 for new content in a namespace being deleted, with the apiserver's NamespaceTerminating cause.</summary>
    public static KubeApiException NamespaceTerminating(ResourceType type, string name, string ns)
    {
        var details = Detail(type, name);
        details["causes"] = new JsonArray(new JsonObject { ["reason"] = "NamespaceTerminating", ["message"] = $"namespace {ns} is being terminated", ["field"] = "metadata.namespace" });
        return new(403, "Forbidden", $"{type.Qualified} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", details);
    }

    /// <summary>422 Invalid with one cause per field error, message <c>Kind "name" is invalid: [e1, e2]</c> like the apiserver.</summary>
    public static KubeApiException Invalid(ResourceType type, string name, IReadOnlyList<FieldError> errors)
    {
        var joined = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Detail, ["field"] = e.Field });
        }

        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Kind;
        details["causes"] = causes;
        return new(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {joined}", details);
    }
}

/// <summary>One field error as the apiserver renders it: <c>field: Detail</c>, with the cause reason.</summary>
internal sealed record FieldError(string Field, string Reason, string Detail)
{
    public override string ToString() => $"{Field}: {Detail}";
}
