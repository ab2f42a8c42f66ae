using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Sessions;

public sealed class SessionSpecTests
{
    [Fact]
    public void ValidSpecHasNoErrors()
    {
        var spec = new SessionSpec { Name = SessionName.Parse("ok"), Workspace = Path.GetTempPath(), User = "1000680000:0", Credentials = ["claude", "git"] };
        Assert.Empty(spec.GetErrors());
        spec.Validate();
        Assert.Equal("ok", spec.ResolveName().Value);
    }

    [Fact]
    public void EveryProblemIsReportedTogether()
    {
        var spec = new SessionSpec
        {
            Workspace = "/definitely/not/here-" + Guid.NewGuid().ToString("N"),
            AgentImage = " ",
            ProxyImage = "",
            AgentCommand = ["claude", ""],
            Environment = new Dictionary<string, string> { ["A=B"] = "x", [""] = "y", ["GOOD"] = "z" },
            Credentials = ["claude", "Bad Name"],
            User = "root",
        };
        var errors = spec.GetErrors();
        Assert.Equal(8, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Workspace:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("AgentImage:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("ProxyImage:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("AgentCommand:", StringComparison.Ordinal));
        Assert.Equal(2, errors.Count(e => e.StartsWith("Environment:", StringComparison.Ordinal)));
        Assert.Contains(errors, e => e.StartsWith("Credentials:", StringComparison.Ordinal) && e.Contains("Bad Name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("User:", StringComparison.Ordinal));
        var thrown = Assert.Throws<InvalidSessionSpecException>(spec.Validate);
        Assert.Equal(errors, thrown.Errors);
    }

    [Fact]
    public void NameOrWorkspaceIsRequired()
    {
        var spec = new SessionSpec();
        Assert.Equal(["Name: a name or a workspace (to derive the name from) is required"], spec.GetErrors());
        Assert.Throws<InvalidSessionSpecException>(() => spec.ResolveName());
    }

    [Fact]
    public void EmptyAgentCommandIsAnError() =>
        Assert.Contains(new SessionSpec { Name = SessionName.Parse("a"), AgentCommand = [] }.GetErrors(), e => e.StartsWith("AgentCommand:", StringComparison.Ordinal));

    [Theory]
    [InlineData("1000", true)]
    [InlineData("1000680000:0", true)]
    [InlineData("1000:", false)]
    [InlineData(":0", false)]
    [InlineData("1:2:3", false)]
    [InlineData("paude", false)]
    public void UserMustBeNumeric(string user, bool valid) =>
        Assert.Equal(valid, new SessionSpec { Name = SessionName.Parse("a"), User = user }.GetErrors().Count == 0);

    [Fact]
    public void NameIsDerivedFromTheWorkspace()
    {
        var dir = Directory.CreateTempSubdirectory("Paude Spec_");
        try
        {
            var name = new SessionSpec { Workspace = dir.FullName }.ResolveName().Value;
            Assert.StartsWith("paude-spec-", name, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete();
        }
    }
}
