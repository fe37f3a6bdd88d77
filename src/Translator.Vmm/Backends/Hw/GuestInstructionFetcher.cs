using Iced.Intel;

namespace Translator.Vmm.Backends.Hw;

/// <summary>
/// Reads the guest instruction at EIP again for the VMM's decoder, through the guest's own paging (as the processor
/// fetched it) and without side effects on guest memory: how a VMM looks at an instruction that trapped or exited
/// without an instruction-specific exit (a privileged instruction at CPL 1, an access to a device page).
/// </summary>
internal sealed class GuestInstructionFetcher
{
    private readonly GuestMemory _guest;
    private readonly FetchedBytes _fetch = new();
    private readonly Decoder _decoder;

    public GuestInstructionFetcher(GuestMemory guest)
    {
        _guest = guest;
        _decoder = Decoder.Create(32, _fetch);
    }

    /// <summary>Decodes the instruction at <paramref name="eip"/>; false when its bytes are unreachable or no valid instruction.</summary>
    public bool TryDecode(GuestPaging paging, uint eip, bool user, out Instruction instruction)
    {
        _fetch.Reset();
        while (_fetch.Length < FetchedBytes.Capacity)
        {
            GuestTranslation t = GuestPageWalker.Walk(_guest, paging, eip + (uint)_fetch.Length, write: false, user, update: false);
            if (t.Faulted)
            {
                break;
            }

            _fetch.Append((byte)_guest.Read(t.GuestPhysical, 1));
        }

        _decoder.IP = eip;
        _decoder.Decode(out instruction);
        return !instruction.IsInvalid && _decoder.LastError == DecoderError.None;
    }

    /// <summary>The bytes of one instruction (reused: fetching allocates nothing).</summary>
    private sealed class FetchedBytes : CodeReader
    {
        public const int Capacity = 15;

        private readonly byte[] _bytes = new byte[Capacity];
        private int _position;

        public int Length { get; private set; }

        public void Reset() => Length = _position = 0;

        public void Append(byte value) => _bytes[Length++] = value;

        public override int ReadByte() => _position < Length ? _bytes[_position++] : -1;
    }
}
