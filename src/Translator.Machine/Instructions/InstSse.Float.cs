using Iced.Intel;
using Reg = Iced.Intel.Register;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Instructions;

/// <summary>SSE/SSE2 floating point under MXCSR.</summary>
internal static unsafe partial class InstSse
{
    private static void RegisterFloat(Dictionary<Mnemonic, nint> t)
    {
    }
}
