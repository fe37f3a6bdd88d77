using Iced.Intel;

namespace Translator.Vmm.Backends.Deprivileged;

/// <summary>
/// The instructions a VMM that deprivileges its guest must take over: every privileged one (it would #GP at CPL 1)
/// and the sensitive unprivileged ones of Robin and Irvine (2000) that run at CPL 1 without trapping but reveal or
/// break the deprivileging: SGDT, SIDT, SLDT, SMSW, STR, PUSHF, POPF, LAR, LSL, VERR, VERW, PUSH/POP and MOV of
/// segment registers (and the far-pointer loads LDS..LSS), far CALL/JMP/RET, INT n.
/// </summary>
internal static class SensitiveInstructions
{
    private static readonly HashSet<Mnemonic> s_privileged =
    [
        Mnemonic.Hlt, Mnemonic.Cli, Mnemonic.Sti, Mnemonic.In, Mnemonic.Out,
        Mnemonic.Insb, Mnemonic.Insw, Mnemonic.Insd, Mnemonic.Outsb, Mnemonic.Outsw, Mnemonic.Outsd,
        Mnemonic.Lgdt, Mnemonic.Lidt, Mnemonic.Lldt, Mnemonic.Ltr, Mnemonic.Lmsw, Mnemonic.Clts, Mnemonic.Invlpg,
        Mnemonic.Invd, Mnemonic.Wbinvd, Mnemonic.Rdmsr, Mnemonic.Wrmsr, Mnemonic.Iret, Mnemonic.Iretd,
    ];

    private static readonly HashSet<Mnemonic> s_robinIrvine =
    [
        Mnemonic.Sgdt, Mnemonic.Sidt, Mnemonic.Sldt, Mnemonic.Str, Mnemonic.Smsw,
        Mnemonic.Pushf, Mnemonic.Pushfd, Mnemonic.Popf, Mnemonic.Popfd,
        Mnemonic.Lar, Mnemonic.Lsl, Mnemonic.Verr, Mnemonic.Verw,
        Mnemonic.Int, Mnemonic.Int3, Mnemonic.Into, Mnemonic.Retf,
        Mnemonic.Lds, Mnemonic.Les, Mnemonic.Lfs, Mnemonic.Lgs, Mnemonic.Lss,
    ];

    /// <summary>Every 32-bit-mode legacy encoding the VMM must take over.</summary>
    public static IReadOnlyList<Code> Codes { get; } = Enum.GetValues<Code>().Where(IsSensitive).ToArray();

    public static bool IsSensitive(Code code)
    {
        if (code == Code.INVALID)
        {
            return false;
        }

        OpCodeInfo info = code.ToOpCode();
        if (info.Encoding != EncodingKind.Legacy || !info.Mode32)
        {
            return false;
        }

        Mnemonic mnemonic = code.Mnemonic();
        return s_privileged.Contains(mnemonic) || s_robinIrvine.Contains(mnemonic) || mnemonic switch
        {
            Mnemonic.Mov => OperandKinds(info).Any(k => k is OpCodeOperandKind.cr_reg or OpCodeOperandKind.dr_reg or OpCodeOperandKind.seg_reg),
            Mnemonic.Push or Mnemonic.Pop => OperandKinds(info).Any(IsSegmentRegister),
            Mnemonic.Call or Mnemonic.Jmp => OperandKinds(info).Any(k => k is OpCodeOperandKind.farbr2_2 or OpCodeOperandKind.farbr4_2)
                || code is Code.Call_m1616 or Code.Call_m1632 or Code.Jmp_m1616 or Code.Jmp_m1632,
            _ => false,
        };
    }

    /// <summary>Privileged: it raises #GP at CPL 1, so even trap-and-emulate takes it over (MOV to/from CRn and DRn included).</summary>
    public static bool IsPrivileged(Code code) =>
        IsSensitive(code) && (s_privileged.Contains(code.Mnemonic())
            || code.Mnemonic() == Mnemonic.Mov && OperandKinds(code.ToOpCode()).Any(k => k is OpCodeOperandKind.cr_reg or OpCodeOperandKind.dr_reg));

    /// <summary>
    /// The statistics name of an instruction: the lower-case Iced mnemonic, except MOV to or from a control, debug
    /// or segment register (<c>mov_cr</c>, <c>mov_dr</c>, <c>mov_sreg</c>).
    /// </summary>
    public static string CounterName(Code code)
    {
        if (code.Mnemonic() == Mnemonic.Mov)
        {
            OpCodeOperandKind[] kinds = OperandKinds(code.ToOpCode()).ToArray();
            if (kinds.Contains(OpCodeOperandKind.cr_reg))
            {
                return "mov_cr";
            }

            if (kinds.Contains(OpCodeOperandKind.dr_reg))
            {
                return "mov_dr";
            }

            if (kinds.Contains(OpCodeOperandKind.seg_reg))
            {
                return "mov_sreg";
            }
        }

        return code.Mnemonic().ToString().ToLowerInvariant();
    }

    private static IEnumerable<OpCodeOperandKind> OperandKinds(OpCodeInfo info) =>
        Enumerable.Range(0, info.OpCount).Select(info.GetOpKind);

    private static bool IsSegmentRegister(OpCodeOperandKind kind) => kind is OpCodeOperandKind.es or OpCodeOperandKind.cs
        or OpCodeOperandKind.ss or OpCodeOperandKind.ds or OpCodeOperandKind.fs or OpCodeOperandKind.gs;
}
