namespace Fabric.Bench.Control;

public sealed record ControlBenchSettings(int Attachments, int Clients, int Devices, string? Directory, string ExtraHocon);
