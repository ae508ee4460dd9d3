using MeshDev.Cli;

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await MeshctlApp.RunAsync(args, CliConsole.System, stop.Token);
