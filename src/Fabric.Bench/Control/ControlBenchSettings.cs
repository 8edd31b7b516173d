namespace Fabric.Bench.Control;

public sealed record ControlBenchSettings(int Attachments, int Clients, int Devices, int Warmup, string? Directory, string ExtraHocon);
