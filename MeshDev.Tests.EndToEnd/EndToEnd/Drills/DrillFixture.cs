using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using MeshDev.Hosting;

namespace MeshDev.Tests.EndToEnd.Drills;

/// <summary>
/// Bookinfo for the fault drills, in an AppHost of its own (the drills kill its processes), with workload
/// certificates that live <see cref="CertificateLifetime"/>: every proxy rotates its certificate every ten seconds or so
/// throughout every drill, while staying clear of expiry across a control plane restart.
/// </summary>
public sealed class DrillFixture : BookinfoAppFixture
{
    public static readonly TimeSpan CertificateLifetime = TimeSpan.FromSeconds(20);

    /// <summary>MESHDEV_SOAK_MINUTES lengthens each drill to that many minutes, repeating its fault.</summary>
    public static TimeSpan? SoakDuration =>
        double.TryParse(Environment.GetEnvironmentVariable("MESHDEV_SOAK_MINUTES"), NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && minutes > 0
            ? TimeSpan.FromMinutes(minutes)
            : null;

    protected override void ConfigureAppHost(IDistributedApplicationTestingBuilder builder)
    {
        var controlPlane = builder.Resources.OfType<MeshControlPlaneResource>().Single();
        builder.CreateResourceBuilder(controlPlane)
            .WithEnvironment("Mesh__ControlPlane__Certificates__Lifetime", CertificateLifetime.ToString("c", CultureInfo.InvariantCulture));
    }

    /// <summary>Resident memory of a resource's process in kB, from /proc/&lt;pid&gt;/status; null when not running.</summary>
    public long? ResidentKilobytes(string resource)
    {
        if (ProcessIdOf(resource) is not { } pid)
        {
            return null;
        }
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
