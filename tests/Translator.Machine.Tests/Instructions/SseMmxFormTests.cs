using System.Buffers.Binary;
using System.Diagnostics;
using Iced.Intel;
using Translator.Machine.Cpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.Machine.Tests.Instructions;

/// <summary>
/// The SSE/SSE2 forms on MMX registers against the host CPU, case by case: a C program (compiled by the test, like
/// <see cref="SseMxcsrTests"/>'s) loads MM0/MM1 from the operands' low halves and XMM0/XMM1 from the whole, empties
/// the tags (EMMS) and pushes 1.0 (so TOP = 7 and one tag is valid), runs the instruction under an MXCSR, and reports
/// XMM0, MM0 (physical register 0), EAX, MXCSR, #XM, TOP and which tags are valid. The emulated CPU runs the same
/// sequence and must agree on all of it: the results, the conversions' rounding and flags, and the x87 aliasing.
/// </summary>
public class SseMmxFormTests
{
    private static readonly (string Att, Action<Assembler> Emit, bool Converts)[] s_instructions =
    [
        ("pavgb %%mm1, %%mm0", a => a.pavgb(mm0, mm1), false),
        ("pavgw %%mm1, %%mm0", a => a.pavgw(mm0, mm1), false),
        ("pminub %%mm1, %%mm0", a => a.pminub(mm0, mm1), false),
        ("pmaxub %%mm1, %%mm0", a => a.pmaxub(mm0, mm1), false),
        ("pminsw %%mm1, %%mm0", a => a.pminsw(mm0, mm1), false),
        ("pmaxsw %%mm1, %%mm0", a => a.pmaxsw(mm0, mm1), false),
        ("pmulhuw %%mm1, %%mm0", a => a.pmulhuw(mm0, mm1), false),
        ("psadbw %%mm1, %%mm0", a => a.psadbw(mm0, mm1), false),
        ("paddq %%mm1, %%mm0", a => a.paddq(mm0, mm1), false),
        ("psubq %%mm1, %%mm0", a => a.psubq(mm0, mm1), false),
        ("pmuludq %%mm1, %%mm0", a => a.pmuludq(mm0, mm1), false),
        ("pshufw $0x1b, %%mm1, %%mm0", a => a.pshufw(mm0, mm1, 0x1B), false),
        ("pshufw $0xc6, %%mm1, %%mm0", a => a.pshufw(mm0, mm1, 0xC6), false),
        ("pmovmskb %%mm1, %%eax", a => a.pmovmskb(eax, mm1), false),
        ("pextrw $2, %%mm1, %%eax", a => a.pextrw(eax, mm1, 2), false),
        ("pextrw $7, %%mm1, %%eax", a => a.pextrw(eax, mm1, 7), false),
        ("pinsrw $5, %%eax, %%mm0", a => a.pinsrw(mm0, eax, 5), false),
        ("movq2dq %%mm1, %%xmm0", a => a.movq2dq(xmm0, mm1), false),
        ("movdq2q %%xmm1, %%mm0", a => a.movdq2q(mm0, xmm1), false),
        ("cvtpi2ps %%mm1, %%xmm0", a => a.cvtpi2ps(xmm0, mm1), true),
        ("cvtpi2pd %%mm1, %%xmm0", a => a.cvtpi2pd(xmm0, mm1), true),
        ("cvtpi2ps (%2), %%xmm0", a => a.cvtpi2ps(xmm0, __qword_ptr[CpuHarness.Data + 16]), true), // from memory: no MMX transition
        ("cvtpi2pd (%2), %%xmm0", a => a.cvtpi2pd(xmm0, __qword_ptr[CpuHarness.Data + 16]), false),
        ("cvtps2pi %%xmm1, %%mm0", a => a.cvtps2pi(mm0, xmm1), true),
        ("cvttps2pi %%xmm1, %%mm0", a => a.cvttps2pi(mm0, xmm1), true),
        ("cvtpd2pi %%xmm1, %%mm0", a => a.cvtpd2pi(mm0, xmm1), true),
        ("cvttpd2pi %%xmm1, %%mm0", a => a.cvttpd2pi(mm0, xmm1), true),
    ];

    /// <summary>The conversions run under every rounding mode, all masks off, and PE/IE unmasked alone; the rest under the default.</summary>
    private static readonly uint[] s_mxcsrs = [0x1F80, 0x3F80, 0x5F80, 0x7F80, 0x0000, 0x0F80, 0x1F00];

    private static readonly UInt128[] s_operands =
    [
        0, UInt128.MaxValue, SseHostOracle.Splat8(0x80), SseHostOracle.Splat8(0x7F), SseHostOracle.Splat16(0x8000), SseHostOracle.Splat16(0x7FFF),
        SseHostOracle.Splat16(0xFFFF), SseHostOracle.Splat32(0x8000_0000), SseHostOracle.Splat32(0x7FFF_FFFF), SseHostOracle.Splat32(0x0000_0003),
        SseHostOracle.Splat32(0x3F80_0000), SseHostOracle.Splat32(0x3FC0_0000), SseHostOracle.Splat32(0xC020_0000), SseHostOracle.Splat32(0x4F00_0000),
        SseHostOracle.Splat32(0xCF00_0000), SseHostOracle.Splat32(0xCF00_0001), SseHostOracle.Splat32(0x7F80_0000), SseHostOracle.Splat32(0x7FA0_0001),
        SseHostOracle.Splat32(0x0040_0001), SseHostOracle.Splat32(0x4B80_0001),
        SseHostOracle.Splat64(0x4004_0000_0000_0000), SseHostOracle.Splat64(0xC1E0_0000_0000_0000), SseHostOracle.Splat64(0xC1E0_0000_0020_0000),
        SseHostOracle.Splat64(0x41DF_FFFF_FFE0_0000), SseHostOracle.Splat64(0x41DF_FFFF_FFF0_0000), SseHostOracle.Splat64(0x7FF4_0000_0000_0001),
        SseHostOracle.Splat64(0x0000_0000_0000_0001), new UInt128(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210),
        new UInt128(0x3FE0_0000_0000_0000, 0xBFF8_0000_0000_0000), new UInt128(0x5A5A_0000_FFFF_0001, 0x8001_7FFE_0102_FF80),
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
        struct out { uint8_t xmm0[16]; uint64_t mm0; uint32_t mxcsr, eax, faulted; uint16_t fsw, valid; };
        static sigjmp_buf back;
        static struct out o;
        static uint16_t env[14];
        static void fpe(int sig, siginfo_t *info, void *context) {
            ucontext_t *uc = context;
            struct _libc_fpstate *f = uc->uc_mcontext.fpregs;
            o.mxcsr = f->mxcsr; o.fsw = f->swd; o.valid = f->ftw & 0xFF;
            memcpy(o.xmm0, &f->_xmm[0], 16);
            memcpy(&o.mm0, &f->_st[(8 - ((f->swd >> 11) & 7)) & 7], 8);
            o.faulted = 1;
            siglongjmp(back, 1);
        }
        #define CASE(n, insn) case n: __asm__ volatile("movdqu (%1), %%xmm0\n movdqu (%2), %%xmm1\n movq (%1), %%mm0\n movq (%2), %%mm1\n emms\n fld1\n mov $0xdeadbeef, %%eax\n ldmxcsr (%3)\n" insn "\n stmxcsr (%4)\n ldmxcsr (%5)\n fnstenv (%7)\n movdqu %%xmm0, (%0)\n mov %%eax, (%6)\n movq %%mm0, (%8)\n emms\n fninit\n" \
            :: "r"(o.xmm0), "r"(i.a), "r"(i.b), "r"(&i.mxcsr), "r"(&o.mxcsr), "r"(&def), "r"(&o.eax), "r"(env), "r"(&o.mm0) : "xmm0", "xmm1", "mm0", "mm1", "st", "eax", "memory"); \
            o.fsw = env[2]; for (int r = 0; r < 8; r++) if (((env[4] >> (2 * r)) & 3) != 3) o.valid |= 1 << r; break;
        int main(void) {
            struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = fpe; sa.sa_flags = SA_SIGINFO | SA_NODEFER; sigaction(SIGFPE, &sa, 0);
            struct in i; uint32_t def = 0x1F80;
            while (fread(&i, sizeof i, 1, stdin) == 1) {
                memset(&o, 0, sizeof o);
                if (sigsetjmp(back, 1) == 0) {
                    switch (i.op) {
        CASES
                    }
                } else {
                    __asm__ volatile("emms\n fninit\n ldmxcsr (%0)" :: "r"(&def));
                }
                fwrite(&o, sizeof o, 1, stdout);
            }
            return 0;
        }
        """;

    private static readonly Lazy<string?> s_program = new(() => HostCProgram.Build("sse-mmx", Source.Replace("CASES",
        string.Join('\n', s_instructions.Select((x, n) => $"        CASE({n}, \"{x.Att}\")")), StringComparison.Ordinal)));

    [MxcsrOracleFact]
    public void EveryFormMatchesTheHostWithTheX87Aliasing()
    {
        var cases = new List<(int Op, uint Mxcsr, UInt128 A, UInt128 B)>();
        for (int op = 0; op < s_instructions.Length; op++)
        {
            foreach (uint mxcsr in s_instructions[op].Converts ? s_mxcsrs : [0x1F80u])
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

        byte[] host = HostCProgram.Run(s_program.Value!, cases.Select(x => Input(x.Op, x.Mxcsr, x.A, x.B)), 40);
        var differences = new List<string>();
        for (int op = 0; op < s_instructions.Length; op++)
        {
            var harness = new CpuHarness(SseHostOracle.Simd | CpuFeatures.Fpu | CpuFeatures.Mmx);
            harness.Cpu.Cr4 = X86Cpu.Cr4OsFxsr | X86Cpu.Cr4OsXmmExcpt;
            harness.Cpu.Cr0 |= 0x20; // NE: x87 errors as #MF
            Action<Assembler> emit = s_instructions[op].Emit;
            harness.Load(a =>
            {
                a.movq(mm0, __qword_ptr[CpuHarness.Data]);
                a.movq(mm1, __qword_ptr[CpuHarness.Data + 16]);
                a.emms();
                a.fld1();
                emit(a);
            });
            X86Cpu cpu = harness.Cpu;
            for (int n = 0; n < cases.Count; n++)
            {
                if (cases[n].Op != op)
                {
                    continue;
                }

                (_, uint mxcsr, UInt128 a, UInt128 b) = cases[n];
                ReadOnlySpan<byte> record = host.AsSpan(n * 40, 40);
                UInt128 hostXmm0 = BinaryPrimitives.ReadUInt128LittleEndian(record);
                ulong hostMm0 = BinaryPrimitives.ReadUInt64LittleEndian(record[16..]);
                uint hostMxcsr = BitConverter.ToUInt32(record[24..]), hostEax = BitConverter.ToUInt32(record[28..]);
                bool hostFaulted = BitConverter.ToUInt32(record[32..]) != 0;
                int hostTop = (BitConverter.ToUInt16(record[36..]) >> 11) & 7, hostValid = BitConverter.ToUInt16(record[38..]);

                harness.Memory.Write32(CpuHarness.Data, (uint)a);
                harness.Memory.Write32(CpuHarness.Data + 4, (uint)((ulong)a >> 32));
                harness.Memory.Write32(CpuHarness.Data + 16, (uint)b);
                harness.Memory.Write32(CpuHarness.Data + 20, (uint)((ulong)b >> 32));
                cpu.Fpu.Reset();
                cpu.Mxcsr = mxcsr;
                cpu.SetRegister(X86Cpu.EAX, 0xDEAD_BEEF);
                cpu.SetRegister(X86Cpu.ESP, CpuHarness.StackTop);
                cpu.SetXmm(0, a);
                cpu.SetXmm(1, b);
                cpu.Eip = CpuHarness.CodeBase;
                harness.Run();
                int vector = harness.RaisedVector;
                bool faulted = vector == 19;
                int valid = ~cpu.Fpu.EmptyMask & 0xFF;
                if (vector is not (-1 or 19) || faulted != hostFaulted || cpu.GetMxcsr() != hostMxcsr || cpu.GetXmm(0) != hostXmm0
                    || cpu.Fpu.ReadMmx(0) != hostMm0 || cpu.Fpu.Top != hostTop || valid != hostValid || (!faulted && cpu.GetRegister(X86Cpu.EAX) != hostEax)
                    || (!faulted && cpu.Fpu.Registers[0].SignExponent != 0xFFFF && s_instructions[op].Att.EndsWith("%%mm0", StringComparison.Ordinal)))
                {
                    differences.Add($"{s_instructions[op].Att.Replace("%%", "%", StringComparison.Ordinal)} MXCSR {mxcsr:X4} {a:X32}, {b:X32}: emulated " +
                        $"{(vector >= 0 ? $"#{vector} " : "")}{cpu.GetXmm(0):X32} MM0 {cpu.Fpu.ReadMmx(0):X16} MXCSR {cpu.GetMxcsr():X4} EAX {cpu.GetRegister(X86Cpu.EAX):X8} " +
                        $"TOP {cpu.Fpu.Top} valid {valid:X2}; host {(hostFaulted ? "#XM " : "")}{hostXmm0:X32} MM0 {hostMm0:X16} MXCSR {hostMxcsr:X4} EAX {hostEax:X8} " +
                        $"TOP {hostTop} valid {hostValid:X2}");
                }
            }
        }

        string byInstruction = string.Join(", ", differences.GroupBy(d => d[..d.IndexOf(" MXCSR", StringComparison.Ordinal)]).Select(g => $"{g.Key}: {g.Count()}"));
        Assert.True(differences.Count == 0, $"{differences.Count} of {cases.Count} differ ({byInstruction}):\n"
            + string.Join('\n', differences.GroupBy(d => d[..d.IndexOf(" MXCSR", StringComparison.Ordinal)]).SelectMany(g => g.Take(3))));
    }

    private static byte[] Input(int op, uint mxcsr, UInt128 a, UInt128 b)
    {
        var record = new byte[40];
        BitConverter.TryWriteBytes(record, (uint)op);
        BitConverter.TryWriteBytes(record.AsSpan(4), mxcsr);
        BinaryPrimitives.WriteUInt128LittleEndian(record.AsSpan(8), a);
        BinaryPrimitives.WriteUInt128LittleEndian(record.AsSpan(24), b);
        return record;
    }
}
