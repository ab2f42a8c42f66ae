// The image tests drive Podman and set Unix file modes; they run on Linux only (like the product's CI).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
