using System.Reflection;
using System.Reflection.Emit;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;
using Translator.Machine.Instructions;
using Translator.Machine.Memory;

namespace Translator.Machine.Execution;

/// <summary>
/// IL for the most frequent fast-path forms, with the instruction's operands baked in as constants: register
/// numbers become fixed offsets into the register file, displacements and immediates become literals, branch
/// targets become constants. Each emitter reproduces its <see cref="InstFastPaths"/> handler exactly (same reads,
/// same order, same flag recording); anything not listed here is compiled as a call to its handler.
/// </summary>
internal static partial class BlockCompiler
{
    private static readonly FieldInfo s_gpr = typeof(X86Cpu).GetField(nameof(X86Cpu.Gpr), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly FieldInfo s_gprFirst = typeof(RegisterFile).GetField(nameof(RegisterFile.First))!;
    private static readonly MethodInfo s_getMmu = typeof(X86Cpu).GetProperty(nameof(X86Cpu.Mmu))!.GetMethod!;
    private static readonly MethodInfo s_read32 = typeof(Mmu).GetMethod(nameof(Mmu.Read32))!;
    private static readonly MethodInfo s_write32 = typeof(Mmu).GetMethod(nameof(Mmu.Write32))!;
    private static readonly MethodInfo s_setLazy32 = typeof(X86Cpu).GetMethod(nameof(X86Cpu.SetLazy32), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly MethodInfo s_getZf = typeof(X86Cpu).GetProperty(nameof(X86Cpu.ZF), BindingFlags.Instance | BindingFlags.NonPublic)!.GetMethod!;
    private static readonly MethodInfo s_getCf = typeof(X86Cpu).GetProperty(nameof(X86Cpu.CF), BindingFlags.Instance | BindingFlags.NonPublic)!.GetMethod!;

    private enum Source
    {
        Register,
        Immediate,
        Memory,
    }

    /// <summary>Emits <paramref name="op"/> inline when its handler has an emitter here; false leaves it to a call.</summary>
    private static bool TryEmitInline(ILGenerator il, in DecodedOp op, MethodInfo handler, LocalBuilder a, LocalBuilder b)
    {
        if (handler.DeclaringType != typeof(InstFastPaths) || op.AddressSize16)
        {
            return false;
        }

        switch (handler.Name)
        {
            case "MovRR": EmitMove(il, op, Source.Register); return true;
            case "MovRI": EmitMove(il, op, Source.Immediate); return true;
            case "MovRM": EmitMove(il, op, Source.Memory); return true;
            case "MovMR": EmitStore(il, op, immediate: false); return true;
            case "MovMI": EmitStore(il, op, immediate: true); return true;
            case "AddRR": EmitArithmetic(il, op, Source.Register, OpCodes.Add, FlagOp.Add, writeBack: true, a, b); return true;
            case "AddRI": EmitArithmetic(il, op, Source.Immediate, OpCodes.Add, FlagOp.Add, writeBack: true, a, b); return true;
            case "AddRM": EmitArithmetic(il, op, Source.Memory, OpCodes.Add, FlagOp.Add, writeBack: true, a, b); return true;
            case "SubRR": EmitArithmetic(il, op, Source.Register, OpCodes.Sub, FlagOp.Sub, writeBack: true, a, b); return true;
            case "SubRI": EmitArithmetic(il, op, Source.Immediate, OpCodes.Sub, FlagOp.Sub, writeBack: true, a, b); return true;
            case "SubRM": EmitArithmetic(il, op, Source.Memory, OpCodes.Sub, FlagOp.Sub, writeBack: true, a, b); return true;
            case "CmpRR": EmitArithmetic(il, op, Source.Register, OpCodes.Sub, FlagOp.Sub, writeBack: false, a, b); return true;
            case "CmpRI": EmitArithmetic(il, op, Source.Immediate, OpCodes.Sub, FlagOp.Sub, writeBack: false, a, b); return true;
            case "CmpRM": EmitArithmetic(il, op, Source.Memory, OpCodes.Sub, FlagOp.Sub, writeBack: false, a, b); return true;
            case "AndRR": EmitLogic(il, op, Source.Register, OpCodes.And, writeBack: true, a); return true;
            case "AndRI": EmitLogic(il, op, Source.Immediate, OpCodes.And, writeBack: true, a); return true;
            case "OrRR": EmitLogic(il, op, Source.Register, OpCodes.Or, writeBack: true, a); return true;
            case "OrRI": EmitLogic(il, op, Source.Immediate, OpCodes.Or, writeBack: true, a); return true;
            case "XorRR": EmitLogic(il, op, Source.Register, OpCodes.Xor, writeBack: true, a); return true;
            case "XorRI": EmitLogic(il, op, Source.Immediate, OpCodes.Xor, writeBack: true, a); return true;
            case "TestRR": EmitLogic(il, op, Source.Register, OpCodes.And, writeBack: false, a); return true;
            case "TestRI": EmitLogic(il, op, Source.Immediate, OpCodes.And, writeBack: false, a); return true;
            case "Lea":
            case "LeaBaseOnly":
            case "LeaIndexOnly":
                EmitRegisterAddress(il, op.R0);
                EmitEffectiveAddress(il, op);
                il.Emit(OpCodes.Stind_I4);
                return true;
            case "Je": EmitBranchOnFlag(il, op, s_getZf, whenSet: true); return true;
            case "Jne": EmitBranchOnFlag(il, op, s_getZf, whenSet: false); return true;
            case "Jb": EmitBranchOnFlag(il, op, s_getCf, whenSet: true); return true;
            case "Jae": EmitBranchOnFlag(il, op, s_getCf, whenSet: false); return true;
            case "JmpRel":
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, unchecked((int)op.Immediate));
                il.Emit(OpCodes.Stfld, s_eip);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Pushes a managed pointer to general register <paramref name="reg"/>.</summary>
    private static void EmitRegisterAddress(ILGenerator il, int reg)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldflda, s_gpr);
        il.Emit(OpCodes.Ldflda, s_gprFirst);
        if (reg != 0)
        {
            il.Emit(OpCodes.Ldc_I4, reg * sizeof(uint));
            il.Emit(OpCodes.Add);
        }
    }

    private static void EmitRegisterLoad(ILGenerator il, int reg)
    {
        EmitRegisterAddress(il, reg);
        il.Emit(OpCodes.Ldind_U4);
    }

    /// <summary>Pushes base + (index &lt;&lt; scale) + displacement with only the parts the instruction has (32-bit addressing).</summary>
    private static void EmitEffectiveAddress(ILGenerator il, in DecodedOp op)
    {
        bool any = false;
        if (op.Base != X86Cpu.ZeroRegister)
        {
            EmitRegisterLoad(il, op.Base);
            any = true;
        }

        if (op.Index != X86Cpu.ZeroRegister)
        {
            EmitRegisterLoad(il, op.Index);
            if (op.Scale != 0)
            {
                il.Emit(OpCodes.Ldc_I4, (int)op.Scale);
                il.Emit(OpCodes.Shl);
            }

            if (any)
            {
                il.Emit(OpCodes.Add);
            }

            any = true;
        }

        if (op.Displacement != 0 || !any)
        {
            il.Emit(OpCodes.Ldc_I4, unchecked((int)op.Displacement));
            if (any)
            {
                il.Emit(OpCodes.Add);
            }
        }
    }

    /// <summary>Pushes the source operand (operand 1) of a 32-bit form.</summary>
    private static void EmitSource(ILGenerator il, in DecodedOp op, Source source)
    {
        switch (source)
        {
            case Source.Register:
                EmitRegisterLoad(il, op.R1);
                break;
            case Source.Immediate:
                il.Emit(OpCodes.Ldc_I4, unchecked((int)op.Immediate));
                break;
            default:
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Call, s_getMmu);
                EmitEffectiveAddress(il, op);
                il.Emit(OpCodes.Call, s_read32);
                break;
        }
    }

    private static void EmitMove(ILGenerator il, in DecodedOp op, Source source)
    {
        if (source == Source.Memory)
        {
            // Read first: a faulting load must leave the destination untouched.
            EmitSource(il, op, source);
            LocalBuilder value = il.DeclareLocal(typeof(uint));
            il.Emit(OpCodes.Stloc, value);
            EmitRegisterAddress(il, op.R0);
            il.Emit(OpCodes.Ldloc, value);
        }
        else
        {
            EmitRegisterAddress(il, op.R0);
            EmitSource(il, op, source);
        }

        il.Emit(OpCodes.Stind_I4);
    }

    private static void EmitStore(ILGenerator il, in DecodedOp op, bool immediate)
    {
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, s_getMmu);
        EmitEffectiveAddress(il, op);
        EmitSource(il, op, immediate ? Source.Immediate : Source.Register);
        il.Emit(OpCodes.Call, s_write32);
    }

    /// <summary>a = dest; b = source; r = a op b; [dest = r]; SetLazy32(flagOp, a, b, r).</summary>
    private static void EmitArithmetic(ILGenerator il, in DecodedOp op, Source source, OpCode operation, FlagOp flagOp, bool writeBack, LocalBuilder a, LocalBuilder b)
    {
        EmitRegisterLoad(il, op.R0);
        il.Emit(OpCodes.Stloc, a);
        EmitSource(il, op, source);
        il.Emit(OpCodes.Stloc, b);
        if (writeBack)
        {
            EmitRegisterAddress(il, op.R0);
            il.Emit(OpCodes.Ldloc, a);
            il.Emit(OpCodes.Ldloc, b);
            il.Emit(operation);
            il.Emit(OpCodes.Stind_I4);
        }

        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, (int)flagOp);
        il.Emit(OpCodes.Ldloc, a);
        il.Emit(OpCodes.Ldloc, b);
        il.Emit(OpCodes.Ldloc, a);
        il.Emit(OpCodes.Ldloc, b);
        il.Emit(operation);
        il.Emit(OpCodes.Call, s_setLazy32);
    }

    /// <summary>r = dest op source; [dest = r]; SetLazy32(Logic, 0, 0, r).</summary>
    private static void EmitLogic(ILGenerator il, in DecodedOp op, Source source, OpCode operation, bool writeBack, LocalBuilder r)
    {
        EmitRegisterLoad(il, op.R0);
        EmitSource(il, op, source);
        il.Emit(operation);
        il.Emit(OpCodes.Stloc, r);
        if (writeBack)
        {
            EmitRegisterAddress(il, op.R0);
            il.Emit(OpCodes.Ldloc, r);
            il.Emit(OpCodes.Stind_I4);
        }

        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, (int)FlagOp.Logic);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Ldloc, r);
        il.Emit(OpCodes.Call, s_setLazy32);
    }

    /// <summary>if (flag == whenSet) cpu.Eip = target.</summary>
    private static void EmitBranchOnFlag(ILGenerator il, in DecodedOp op, MethodInfo flag, bool whenSet)
    {
        Label skip = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Call, flag);
        il.Emit(whenSet ? OpCodes.Brfalse : OpCodes.Brtrue, skip);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, unchecked((int)op.Immediate));
        il.Emit(OpCodes.Stfld, s_eip);
        il.MarkLabel(skip);
    }
}
