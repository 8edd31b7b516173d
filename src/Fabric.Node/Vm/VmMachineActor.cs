using Akka.Actor;
using Akka.Event;
using Fabric.Messages.Errors;
using Fabric.Messages.Node;

namespace Fabric.Node.Vm;

/// <summary>
/// Owns one VM's QEMU process: starts it, answers the starter once QEMU's monitor answers (or why it exited), stops it
/// cleanly when asked, and tells its parent when it dies on its own. Stopping the actor kills QEMU if it still runs.
/// </summary>
public sealed class VmMachineActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly QemuMachineSpec _spec;
    private readonly VmSettings _settings;
    private readonly IActorRef _starter;
    private QemuMachine? _machine;
    private VmMachineView _view;
    private bool _stopping;

    public VmMachineActor(VmMachineView view, QemuMachineSpec spec, VmSettings settings, IActorRef starter)
    {
        _view = view;
        _spec = spec;
        _settings = settings;
        _starter = starter;
        Receive<Up>(_ => _view.State == "starting", _ => Change(_view with { State = "running" }, died: false, tell: _starter));
        Receive<Exited>(Exit);
        Receive<StopMachine>(Stop);
        Receive<Stopped>(AfterStop);
    }

    public static Props Props(VmMachineView view, QemuMachineSpec spec, VmSettings settings, IActorRef starter) =>
        Akka.Actor.Props.Create(() => new VmMachineActor(view, spec, settings, starter));

    protected override void PreStart()
    {
        try
        {
            Directory.CreateDirectory(_spec.Folder);
            File.Delete(_spec.ConsoleLog);
            _machine = QemuMachine.Start(_spec);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            _starter.Tell(new Rejected(RejectReason.IllegalState, $"VM {_view.VmId}: QEMU could not be started: {e.Message}"));
            Context.Stop(Self);
            return;
        }

        _view = _view with { Pid = _machine.Pid, Accelerator = _machine.Kvm ? "kvm" : "tcg" };
        _log.Info("VM {0}: QEMU pid {1} ({2}), {3} virtio-crypto device(s), console {4}", _view.VmId, _machine.Pid, _view.Accelerator, _spec.VhostUserSockets.Count, _spec.ConsoleLog);
        _machine.Exited.PipeTo(Self, success: code => new Exited(code));
        Ready(_machine, _settings.StartTimeout).PipeTo(Self, success: up => up ? Up.Instance : new Exited(null));
    }

    protected override void PostStop() => _machine?.Dispose();

    /// <summary>Up once QEMU's monitor answers (its devices, vhost-user connections included, are set up by then).</summary>
    private static async Task<bool> Ready(QemuMachine machine, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !machine.HasExited)
        {
            if (await Qmp.ExecuteAsync(machine.Spec.QmpSocket, "query-status", TimeSpan.FromSeconds(2)))
            {
                return true;
            }

            // The socket appears once QEMU parsed its options: poll it, briefly.
            await Task.WhenAny(machine.Exited, Task.Delay(50));
        }

        return false;
    }

    private void Exit(Exited exited)
    {
        if (_view.State == "stopped")
        {
            return;
        }

        if (_view.State == "starting")
        {
            _machine?.Kill();
            var said = _machine?.Lines.Select(l => l.Line).LastOrDefault(l => l.StartsWith("qemu stderr:", StringComparison.Ordinal));
            var why = exited.Code is { } c ? $"QEMU exited with {c}" : $"QEMU's monitor did not answer within {_settings.StartTimeout.TotalSeconds:0}s";
            _starter.Tell(new Rejected(RejectReason.IllegalState, $"VM {_view.VmId}: {why}{(said is null ? "" : ": " + said["qemu stderr:".Length..].Trim())}"));
            Change(_view with { State = "stopped", ExitCode = exited.Code, Reason = "failed to start" }, died: false, tell: null);
            return;
        }

        if (_stopping)
        {
            return;
        }

        _log.Warning("VM {0}: QEMU pid {1} exited ({2}) without being stopped; its attachments are released", _view.VmId, _view.Pid, exited.Code);
        Change(_view with { State = "stopped", ExitCode = exited.Code, Reason = exited.Code is { } code ? $"exited with {code}" : "exited" }, died: true, tell: null);
    }

    private void Stop(StopMachine stop)
    {
        if (_view.State == "stopped" || _machine is null)
        {
            Sender.Tell(new MachineStopped(_view.VmId, _view.Attachments, _view));
            if (stop.Forget)
            {
                Context.Stop(Self);
            }

            return;
        }

        _stopping = true;
        var replyTo = Sender;
        _machine.StopAsync(_settings.StopGrace).PipeTo(Self, success: how => new Stopped(how, replyTo, stop.Forget));
    }

    private void AfterStop(Stopped stopped)
    {
        var code = _machine!.HasExited ? _machine.ExitCode : (int?)null;
        var reason = stopped.How switch
        {
            QemuStop.PoweredOff => "powered off",
            QemuStop.Quit => "stopped (QMP quit)",
            QemuStop.Killed => "killed",
            _ => _view.Reason ?? "exited",
        };
        _log.Info("VM {0}: QEMU pid {1} {2}", _view.VmId, _view.Pid, reason);
        Change(_view with { State = "stopped", ExitCode = stopped.How == QemuStop.Killed ? null : code, Reason = reason }, died: false, tell: null);
        stopped.ReplyTo.Tell(new MachineStopped(_view.VmId, _view.Attachments, _view));
        if (stopped.Forget)
        {
            Context.Stop(Self);
        }
    }

    private void Change(VmMachineView view, bool died, IActorRef? tell)
    {
        _view = view;
        Context.Parent.Tell(new MachineChanged(view, died));
        tell?.Tell(view);
    }

    private sealed record Up
    {
        public static Up Instance { get; } = new();
    }

    private sealed record Exited(int? Code);

    private sealed record Stopped(QemuStop How, IActorRef ReplyTo, bool Forget);
}
