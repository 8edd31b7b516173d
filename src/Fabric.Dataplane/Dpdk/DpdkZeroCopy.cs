namespace Fabric.Dataplane.Dpdk;

/// <summary>How a <see cref="DpdkGDriver"/> hands channel buffers to its device (ops whose buffers are not in the
/// channel's arena, e.g. a direct caller's arrays, are always copied).</summary>
public enum DpdkZeroCopy
{
    /// <summary>Every op copied into an mbuf and its output copied out (the behaviour before zero copy).</summary>
    Off,

    /// <summary>
    /// The device reads the guest's input slot in place (an mbuf attached to it); the output lands in an mbuf and is
    /// copied to the slot when the op completes. Keeps the asynchronous contract whole: an op the AC gave up on
    /// (<see cref="Drivers.IAsyncGDriver.Abandon"/>) never writes the guest's memory. Needs a PMD with out-of-place
    /// linear buffers (else the op is copied).
    /// </summary>
    Input,

    /// <summary>
    /// The device also writes the guest's output slot itself: no copy at all (PMDs without out-of-place buffers: the
    /// body copied once into the output slot and processed in place there). Opens too: a failed open's slot is wiped.
    /// The cost, on hardware and for deflate: an op given up at its deadline may still be written by the device until the device
    /// returns it or its queue pair is reset, so a guest that reuses that slot at once may see it overwritten with the
    /// late answer (a software PMD's given-up op is pointed at a scratch buffer first: <see cref="DpdkGDriver.Forgotten"/>).
    /// </summary>
    Full,

    /// <summary>
    /// The default: <see cref="Input"/>, and on a PMD that does its work inside the AC's own calls
    /// (<see cref="DpdkDevice.WorksInCallersThread"/>: the software PMDs) the device also writes the output slot of AEAD
    /// seals, as <see cref="Full"/>. Opens keep their output in an mbuf until the tag is verified, so no unverified
    /// plaintext reaches the guest. The late write <see cref="Full"/> risks cannot happen: such a device writes only while
    /// the AC calls it, and an op the AC gives up on is pointed at a scratch buffer before that
    /// (<see cref="DpdkGDriver.Forgotten"/>).
    /// </summary>
    Auto,
}
