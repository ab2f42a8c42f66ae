namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddPaude()</c>; backend packages add themselves through extension methods on it.</summary>
public interface IPaudeBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}
