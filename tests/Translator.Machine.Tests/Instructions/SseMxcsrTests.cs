using System.Runtime.InteropServices;
using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>Runs only on x86-64 Linux with a C compiler (the MXCSR oracle below is a small C program); else skipped, saying why.</summary>
public sealed class MxcsrOracleFactAttribute : FactAttribute
{
    public MxcsrOracleFactAttribute()
    {
        if (SseMxcsrTests.Unavailable is string why)
        {
            Skip = $"the MXCSR oracle cannot run here: {why}";
        }
    }
}

/// <summary>
/// SSE/SSE2 floating point under every rounding mode, FTZ, and unmasked exceptions, against the host CPU: .NET cannot
/// load MXCSR, so a C program with inline assembly (compiled by the test) runs each case on the host and reports
/// XMM0, EAX, MXCSR afterwards and whether the instruction raised #XM (SIGFPE). The emulated CPU (CR4.OSXMMEXCPT = 1)
/// must give the same: the result, the sticky flags, and for an unmasked exception #XM with XMM0 unchanged.
/// </summary>
public class SseMxcsrTests
{
    /// <summary>Each case's instruction: the C program's AT&amp;T text and the same for Iced (operands XMM0, XMM1; EAX).</summary>
    private static readonly (string Att, Action<Assembler> Emit)[] s_instructions =
    [
        ("addps %%xmm1, %%xmm0", a => a.addps(xmm0, xmm1)),
        ("subps %%xmm1, %%xmm0", a => a.subps(xmm0, xmm1)),
        ("mulps %%xmm1, %%xmm0", a => a.mulps(xmm0, xmm1)),
        ("divps %%xmm1, %%xmm0", a => a.divps(xmm0, xmm1)),
        ("sqrtps %%xmm1, %%xmm0", a => a.sqrtps(xmm0, xmm1)),
        ("minps %%xmm1, %%xmm0", a => a.minps(xmm0, xmm1)),
        ("maxpd %%xmm1, %%xmm0", a => a.maxpd(xmm0, xmm1)),
        ("cmpps $1, %%xmm1, %%xmm0", a => a.cmpps(xmm0, xmm1, 1)),
        ("cmpsd $0, %%xmm1, %%xmm0", a => a.cmpsd(xmm0, xmm1, 0)),
        ("addsd %%xmm1, %%xmm0", a => a.addsd(xmm0, xmm1)),
        ("subsd %%xmm1, %%xmm0", a => a.subsd(xmm0, xmm1)),
        ("mulsd %%xmm1, %%xmm0", a => a.mulsd(xmm0, xmm1)),
        ("divsd %%xmm1, %%xmm0", a => a.divsd(xmm0, xmm1)),
        ("sqrtsd %%xmm1, %%xmm0", a => a.sqrtsd(xmm0, xmm1)),
        ("mulpd %%xmm1, %%xmm0", a => a.mulpd(xmm0, xmm1)),
        ("divss %%xmm1, %%xmm0", a => a.divss(xmm0, xmm1)),
        ("cvtsd2ss %%xmm1, %%xmm0", a => a.cvtsd2ss(xmm0, xmm1)),
        ("cvtss2sd %%xmm1, %%xmm0", a => a.cvtss2sd(xmm0, xmm1)),
        ("cvtpd2ps %%xmm1, %%xmm0", a => a.cvtpd2ps(xmm0, xmm1)),
        ("cvtdq2ps %%xmm1, %%xmm0", a => a.cvtdq2ps(xmm0, xmm1)),
        ("cvtps2dq %%xmm1, %%xmm0", a => a.cvtps2dq(xmm0, xmm1)),
        ("cvttpd2dq %%xmm1, %%xmm0", a => a.cvttpd2dq(xmm0, xmm1)),
        ("cvtsd2si %%xmm1, %%eax", a => a.cvtsd2si(eax, xmm1)),
        ("comiss %%xmm1, %%xmm0", a => a.comiss(xmm0, xmm1)),
        ("ucomisd %%xmm1, %%xmm0", a => a.ucomisd(xmm0, xmm1)),
    ];

    /// <summary>Round to nearest, down, up, toward zero; FTZ with two of them; every mask off; each exception unmasked alone; FTZ with UE unmasked.</summary>
    private static readonly uint[] s_mxcsrs = [0x1F80, 0x3F80, 0x5F80, 0x7F80, 0x9F80, 0xFF80, 0x0000, 0x1F00, 0x1E80, 0x1D80, 0x1B80, 0x1780, 0x0F80, 0x9780];

    private static readonly UInt128[] s_operands =
    [
        0, SseHostOracle.Splat32(0x8000_0000), SseHostOracle.Splat32(0x3F80_0000), SseHostOracle.Splat32(0x4040_0000),
        SseHostOracle.Splat32(0xC040_0000), SseHostOracle.Splat32(0x0080_0000), SseHostOracle.Splat32(0x0040_0001),
        SseHostOracle.Splat32(0x7F7F_FFFF), SseHostOracle.Splat32(0x7F80_0000), SseHostOracle.Splat32(0x7FC0_0001),
        SseHostOracle.Splat32(0xFFA0_0002), SseHostOracle.Splat32(0x1FFF_FFFF), SseHostOracle.Splat32(0x4F00_0001),
        SseHostOracle.Splat64(0x3FF0_0000_0000_0000), SseHostOracle.Splat64(0x4008_0000_0000_0000), SseHostOracle.Splat64(0xC008_0000_0000_0000),
        SseHostOracle.Splat64(0x0010_0000_0000_0000), SseHostOracle.Splat64(0x000F_FFFF_FFFF_FFFF), SseHostOracle.Splat64(0x7FEF_FFFF_FFFF_FFFF),
        SseHostOracle.Splat64(0x7FF4_0000_0000_0001), SseHostOracle.Splat64(0x2000_0000_0000_0001), SseHostOracle.Splat64(0x41E0_0000_0000_0001),
        SseHostOracle.Splat64(0x36A0_0000_0000_0001), SseHostOracle.Splat64(0x47F0_0000_0000_0001),
        new UInt128(0x4008_0000_0000_0000, 0x3F80_0000_0040_0001), new UInt128(0x8010_0000_0000_0001, 0x4040_0000_7F7F_FFFF),
    ];

    private const string Source = """
        #define _GNU_SOURCE
        #include <setjmp.h>
        #include <signal.h>
        #include <stdio.h>
        #include <string.h>
        #include <stdint.h>
        #include <ucontext.h>
        struct in { uint32_t op, mxcsr; uint8_t a[16], b[16]; };
        struct out { uint8_t xmm0[16]; uint32_t mxcsr, eax, faulted, pad; };
        static sigjmp_buf back;
        static struct out o;
        static void fpe(int sig, siginfo_t *info, void *context) {
            ucontext_t *uc = context;
            o.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
            memcpy(o.xmm0, &uc->uc_mcontext.fpregs->_xmm[0], 16);
            o.faulted = 1;
            siglongjmp(back, 1);
        }
        #define CASE(n, insn) case n: __asm__ volatile("movdqu (%1), %%xmm0\n movdqu (%2), %%xmm1\n mov $0xdeadbeef, %%eax\n ldmxcsr (%3)\n" insn "\n stmxcsr (%4)\n ldmxcsr (%5)\n movdqu %%xmm0, (%0)\n mov %%eax, (%6)\n" \
            :: "r"(o.xmm0), "r"(i.a), "r"(i.b), "r"(&i.mxcsr), "r"(&o.mxcsr), "r"(&def), "r"(&o.eax) : "xmm0", "xmm1", "eax", "memory"); break;
        int main(void) {
            struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = fpe; sa.sa_flags = SA_SIGINFO | SA_NODEFER; sigaction(SIGFPE, &sa, 0);
            struct in i; uint32_t def = 0x1F80;
            while (fread(&i, sizeof i, 1, stdin) == 1) {
                memset(&o, 0, sizeof o);
                if (sigsetjmp(back, 1) == 0) {
                    switch (i.op) {
        CASES
                    }
                }
                fwrite(&o, sizeof o, 1, stdout);
            }
            return 0;
        }
        """;

    private static readonly Lazy<string?> s_program = new(() => HostCProgram.Build("sse-mxcsr",
        Source.Replace("CASES", string.Join('\n', s_instructions.Select((x, n) => $"        CASE({n}, \"{x.Att}\")")), StringComparison.Ordinal)));

    public static string? Unavailable =>
        !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 ? "needs x86-64 Linux"
        : s_program.Value is null ? "no C compiler (cc) could build it" : null;

    [MxcsrOracleFact]
    public void EveryRoundingModeFtzAndUnmaskedExceptionMatchTheHost()
    {
        var cases = new List<(int Op, uint Mxcsr, UInt128 A, UInt128 B)>();
        for (int op = 0; op < s_instructions.Length; op++)
        {
            foreach (uint mxcsr in s_mxcsrs)
            {
                foreach (UInt128 a in s_operands)
                {
                    foreach (UInt128 b in s_operands)
                    {
                        cases.Add((op, mxcsr, a, b));
                    }
                }
            }
        }

        byte[] host = RunHost(cases);
        var differences = new List<string>();
        for (int op = 0; op < s_instructions.Length; op++)
        {
            var oracle = new SseHostOracle();
            oracle.Harness.Load(s_instructions[op].Emit);
            X86Cpu cpu = oracle.Harness.Cpu;
            for (int n = 0; n < cases.Count; n++)
            {
                if (cases[n].Op != op)
                {
                    continue;
                }

                (_, uint mxcsr, UInt128 a, UInt128 b) = cases[n];
                ReadOnlySpan<byte> record = host.AsSpan(n * 32, 32);
                UInt128 hostXmm0 = System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(record);
                uint hostMxcsr = BitConverter.ToUInt32(record[16..]), hostEax = BitConverter.ToUInt32(record[20..]);
                bool hostFaulted = BitConverter.ToUInt32(record[24..]) != 0;

                cpu.Mxcsr = mxcsr;
                cpu.SetRegister(X86Cpu.EAX, 0xDEAD_BEEF);
                cpu.SetRegister(X86Cpu.ESP, CpuHarness.StackTop);
                cpu.SetXmm(0, a);
                cpu.SetXmm(1, b);
                cpu.Eip = CpuHarness.CodeBase;
                oracle.Harness.Run();
                int vector = oracle.Harness.RaisedVector;
                bool faulted = vector == 19;
                if (vector is not (-1 or 19) || faulted != hostFaulted || cpu.GetMxcsr() != hostMxcsr || cpu.GetXmm(0) != hostXmm0
                    || (!faulted && cpu.GetRegister(X86Cpu.EAX) != hostEax))
                {
                    differences.Add($"{s_instructions[op].Att.Replace("%%", "%", StringComparison.Ordinal)} MXCSR {mxcsr:X4} {a:X32}, {b:X32}: emulated " +
                        $"{(vector >= 0 ? $"#{vector} " : "")}{cpu.GetXmm(0):X32} MXCSR {cpu.GetMxcsr():X4} EAX {cpu.GetRegister(X86Cpu.EAX):X8}; host " +
                        $"{(hostFaulted ? "#XM " : "")}{hostXmm0:X32} MXCSR {hostMxcsr:X4} EAX {hostEax:X8}");
                }
            }
        }

        string byInstruction = string.Join(", ", differences.GroupBy(d => d[..d.IndexOf(" MXCSR", StringComparison.Ordinal)]).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(differences.Count == 0, $"{differences.Count} of {cases.Count} differ ({byInstruction}):\n"
            + string.Join('\n', differences.GroupBy(d => d[..d.IndexOf(" MXCSR", StringComparison.Ordinal)]).SelectMany(g => g.Take(3))));
    }

    private static byte[] RunHost(List<(int Op, uint Mxcsr, UInt128 A, UInt128 B)> cases) =>
        HostCProgram.Run(s_program.Value!, cases.Select(x =>
        {
            var record = new byte[40];
            BitConverter.TryWriteBytes(record, (uint)x.Op);
            BitConverter.TryWriteBytes(record.AsSpan(4), x.Mxcsr);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(record.AsSpan(8), x.A);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(record.AsSpan(24), x.B);
            return record;
        }), 32);
}
