using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Dataplane.Channel;
using Fabric.Dataplane.Guest;

namespace Fabric.Dataplane.Tests.Process;

/// <summary>
/// Entry point of this assembly when run as a program: "guest PATH OPS" is a guest VM's workload in its
/// own process. It makes its own key (keys never leave the guest but for its channel), seals OPS random
/// messages through the channel in bursts, checks each against AES-GCM done locally, opens them back
/// through the channel, and prints "ok ops=N" (exit 0) or what went wrong (exit 1).
/// </summary>
public static class GuestProgram
{
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "truncate")
        {
            return Truncate(args[1]);
        }
        if (args.Length < 3 || args[0] != "guest")
        {
            Console.Error.WriteLine("usage: Fabric.Dataplane.Tests guest CHANNEL_PATH OPS   (used by the two-process tests)");
            return 2;
        }
        try
        {
            return Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e)
        {
            Console.WriteLine("error " + e.GetType().Name + ": " + e.Message);
            return 1;
        }
    }

    /// <summary>
    /// "truncate SOCKET": a hostile guest. Takes the channel's descriptor from the node's socket, tries to shrink
    /// it to 0 and to grow it, and to add a seal of its own; prints the errno of each ("shrink=1 grow=1 seal=1"
    /// means EPERM every time), then posts 100 Nops on its channel and prints "nops=100" when all completed Ok.
    /// </summary>
    private static unsafe int Truncate(string socket)
    {
        using (var fd = Fabric.Dataplane.Handoff.ChannelClient.Receive(socket, TimeSpan.FromSeconds(20)))
        {
            var raw = (int)fd.DangerousGetHandle();
            var size = new FileStream(fd, FileAccess.ReadWrite, 0).Length;
            int Errno(int rc) => rc == 0 ? 0 : System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            var shrink = Errno(Fabric.Dataplane.Native.Libc.Ftruncate(raw, 0));
            var grow = Errno(Fabric.Dataplane.Native.Libc.Ftruncate(raw, size * 2));
            var seal = Errno(Fabric.Dataplane.Native.Libc.Fcntl(raw, Fabric.Dataplane.Native.Libc.F_ADD_SEALS, Fabric.Dataplane.Native.Libc.F_SEAL_WRITE));
            Console.WriteLine($"shrink={shrink} grow={grow} seal={seal}");
        }
        using var guest = GuestChannel.Open(socket);
        var ok = 0;
        for (var i = 0; i < 100; i++)
        {
            if (guest.SubmitAndWait(new SubmissionDescriptor { Tag = (ulong)i, Op = OpCode.Nop }, TimeSpan.FromSeconds(20)).Status == OpStatus.Ok)
            {
                ok++;
            }
        }
        Console.WriteLine($"nops={ok}");
        return 0;
    }

    private static int Run(string path, int operations)
    {
        var timeout = TimeSpan.FromSeconds(20);
        using var guest = GuestChannel.Open(path);
        var key = RandomNumberGenerator.GetBytes(32);
        var session = guest.OpenSession(key, 0, timeout);
        using var local = new AesGcm(key, 16);
        Console.WriteLine("ready session=" + session);
        Console.Out.Flush();

        const int burst = 8;
        const int size = 512;
        var nonce = new byte[12];
        var batch = new SubmissionDescriptor[burst];
        var completions = new CompletionEntry[burst];
        var expected = new byte[size + 16];
        var sw = Stopwatch.StartNew();
        for (var done = 0; done < operations; done += burst)
        {
            // Seal a burst: message i in slot 1+i, sealed into slot 1+burst+i.
            for (var i = 0; i < burst; i++)
            {
                RandomNumberGenerator.Fill(guest.Slot(1 + i)[..size]);
                BitConverter.TryWriteBytes(nonce, done + i);
                batch[i] = new SubmissionDescriptor
                {
                    Tag = (ulong)(done + i), Op = OpCode.Forward, Session = session,
                    InSlot = (uint)(1 + i), InLength = size, OutSlot = (uint)(1 + burst + i), OutCapacity = (uint)guest.SlotSize,
                };
                nonce.CopyTo(batch[i].Param);
            }
            Reap(guest, batch, completions, timeout);
            for (var i = 0; i < burst; i++)
            {
                BitConverter.TryWriteBytes(nonce, done + i);
                local.Encrypt(nonce, guest.Slot(1 + i)[..size], expected.AsSpan(0, size), expected.AsSpan(size));
                if (!guest.Slot(1 + burst + i)[..(size + 16)].SequenceEqual(expected))
                {
                    Console.WriteLine($"mismatch op={done + i}: the channel's ciphertext differs from local AES-GCM");
                    return 1;
                }
                // Open it back into slot 1+2*burst+i.
                batch[i].Op = OpCode.Inverse;
                batch[i].InSlot = (uint)(1 + burst + i);
                batch[i].InLength = size + 16;
                batch[i].OutSlot = (uint)(1 + 2 * burst + i);
            }
            Reap(guest, batch, completions, timeout);
            for (var i = 0; i < burst; i++)
            {
                if (!guest.Slot(1 + 2 * burst + i)[..size].SequenceEqual(guest.Slot(1 + i)[..size]))
                {
                    Console.WriteLine($"mismatch op={done + i}: opened plaintext differs");
                    return 1;
                }
            }
        }
        Console.WriteLine($"ok ops={operations * 2} seconds={sw.Elapsed.TotalSeconds:F2}");
        return 0;
    }

    private static void Reap(GuestChannel guest, SubmissionDescriptor[] batch, CompletionEntry[] completions, TimeSpan timeout)
    {
        var posted = 0;
        var got = 0;
        while (got < batch.Length)
        {
            if (posted < batch.Length)
            {
                posted += guest.SubmitBatch(batch.AsSpan(posted));
            }
            var n = guest.Wait(completions.AsSpan(0, posted - got), timeout);
            if (n == 0)
            {
                throw new TimeoutException($"no completion within {timeout}; channel state {guest.State}");
            }
            for (var i = 0; i < n; i++)
            {
                if (completions[i].Status != OpStatus.Ok || completions[i].Tag != batch[got + i].Tag)
                {
                    throw new InvalidOperationException($"op {batch[got + i].Tag} completed {completions[i].Status} with tag {completions[i].Tag}");
                }
            }
            got += n;
        }
    }
}
