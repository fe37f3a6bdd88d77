using System.Reflection;
using System.Reflection.Emit;
using Translator.Machine.Cpu;
using Translator.Machine.Decoders;

namespace Translator.Machine.Execution;

/// <summary>
/// The interpreter's second tier: a block that has run often is compiled (System.Reflection.Emit) into one .NET
/// method that calls each instruction's handler directly, in order. The handlers are the same ones the
/// interpreter dispatches to, so behaviour cannot diverge; what disappears is the indirect call per guest
/// instruction, which the host's branch predictor handles poorly when every block mixes different handlers.
/// </summary>
internal static unsafe partial class BlockCompiler
{
    /// <summary>Executions after which a block is compiled, unless the machine says otherwise.</summary>
    public const int DefaultHotThreshold = 64;

    private static readonly Dictionary<nint, MethodInfo> s_handlers = FindHandlers();
    private static readonly object s_closure = new();
    private static readonly FieldInfo s_currentOpIndex = typeof(X86Cpu).GetField(nameof(X86Cpu.CurrentOpIndex), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly FieldInfo s_stopBlock = typeof(X86Cpu).GetField(nameof(X86Cpu.StopBlock), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly FieldInfo s_loopRetired = typeof(X86Cpu).GetField(nameof(X86Cpu.LoopRetired), BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly FieldInfo s_eip = typeof(X86Cpu).GetField(nameof(X86Cpu.Eip), BindingFlags.Instance | BindingFlags.Public)!;

    /// <summary>Every static method shaped like an instruction handler, by entry point.</summary>
    private static Dictionary<nint, MethodInfo> FindHandlers()
    {
        var map = new Dictionary<nint, MethodInfo>();
        foreach (Type type in typeof(BlockCompiler).Assembly.GetTypes())
        {
            if (type.Namespace != "Translator.Machine.Instructions")
            {
                continue;
            }

            foreach (MethodInfo method in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                ParameterInfo[] p = method.GetParameters();
                if (method.ReturnType == typeof(void) && p.Length == 2 && p[0].ParameterType == typeof(X86Cpu)
                    && p[1].ParameterType == typeof(DecodedOp).MakeByRefType() && !method.IsGenericMethod)
                {
                    map[method.MethodHandle.GetFunctionPointer()] = method;
                }
            }
        }

        return map;
    }

    /// <summary>
    /// Compiles <paramref name="block"/>; null when some handler is unknown (the block stays interpreted).
    /// The result runs the block and returns how many instructions retired. A block whose last instruction
    /// branches back to its own start (a loop) keeps iterating inside the compiled method while the branch is
    /// taken and the <c>budget</c> argument allows another full iteration.
    /// </summary>
    public static CompiledBlock? Compile(Block block)
    {
        DecodedOp[] ops = block.Ops;
        // A handler from outside the instruction set (a VMM's callout) has no MethodInfo here: it is called
        // through its function pointer instead.
        var handlers = new MethodInfo?[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            handlers[i] = s_handlers.GetValueOrDefault((nint)ops[i].Execute);
        }

        DecodedOp last = ops[^1];
        bool selfLoop = last.Instruction.IsJccShortOrNear || last.Instruction.Mnemonic is Iced.Intel.Mnemonic.Loop or Iced.Intel.Mnemonic.Jmp;
        selfLoop &= last.K0 == OperandKind.Immediate && last.Immediate == block.LinearIp;

        // The first parameter is a dummy closure target: a delegate closed over an instance invokes without the
        // argument-shuffling thunk that an open static delegate needs.
        var method = new DynamicMethod(
            $"block_{block.LinearIp:X8}", typeof(int), [typeof(object), typeof(X86Cpu), typeof(DecodedOp[]), typeof(int)],
            typeof(BlockCompiler).Module, skipVisibility: true);
        ILGenerator il = method.GetILGenerator();
        LocalBuilder done = il.DeclareLocal(typeof(int));
        LocalBuilder scratchA = il.DeclareLocal(typeof(uint));
        LocalBuilder scratchB = il.DeclareLocal(typeof(uint));
        Label top = il.DefineLabel();
        il.MarkLabel(top);

        // cpu.Eip = fall-through address (the last instruction may overwrite it).
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Ldc_I4, unchecked((int)last.NextIp));
        il.Emit(OpCodes.Stfld, s_eip);
        for (int i = 0; i < ops.Length; i++)
        {
            bool registerOnly = ops[i].RegisterOnly;
            if (!registerOnly)
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Stfld, s_currentOpIndex);
            }

            if (handlers[i] is not { } handler || !TryEmitInline(il, ops[i], handler, scratchA, scratchB))
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldarg_2);
                il.Emit(OpCodes.Ldc_I4, i);
                il.Emit(OpCodes.Ldelema, typeof(DecodedOp));
                if (handlers[i] is { } known)
                {
                    il.Emit(OpCodes.Call, known);
                }
                else
                {
                    il.Emit(OpCodes.Ldc_I8, (long)(nint)ops[i].Execute);
                    il.Emit(OpCodes.Conv_I);
                    il.EmitCalli(OpCodes.Calli, CallingConventions.Standard, typeof(void), [typeof(X86Cpu), typeof(DecodedOp).MakeByRefType()], null);
                }
            }
            if (registerOnly)
            {
                continue;
            }

            // if (cpu.StopBlock) { cpu.Eip = next (unless last); return done + i + 1; }
            Label proceed = il.DefineLabel();
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, s_stopBlock);
            il.Emit(OpCodes.Brfalse, proceed);
            if (i < ops.Length - 1)
            {
                il.Emit(OpCodes.Ldarg_1);
                il.Emit(OpCodes.Ldc_I4, unchecked((int)ops[i].NextIp));
                il.Emit(OpCodes.Stfld, s_eip);
            }

            EmitReturn(il, done, i + 1, selfLoop);
            il.MarkLabel(proceed);
        }

        if (selfLoop)
        {
            // done += n; if (cpu.Eip == start && done + n <= budget) { cpu.LoopRetired = done; goto top; }
            Label exit = il.DefineLabel();
            il.Emit(OpCodes.Ldloc, done);
            il.Emit(OpCodes.Ldc_I4, ops.Length);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Stloc, done);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldfld, s_eip);
            il.Emit(OpCodes.Ldc_I4, unchecked((int)block.LinearIp));
            il.Emit(OpCodes.Bne_Un, exit);
            il.Emit(OpCodes.Ldloc, done);
            il.Emit(OpCodes.Ldc_I4, ops.Length);
            il.Emit(OpCodes.Add);
            il.Emit(OpCodes.Ldarg_3);
            il.Emit(OpCodes.Bgt, exit);
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldloc, done);
            il.Emit(OpCodes.Stfld, s_loopRetired);
            il.Emit(OpCodes.Br, top);
            il.MarkLabel(exit);
            EmitReturn(il, done, 0, selfLoop);
        }
        else
        {
            EmitReturn(il, done, ops.Length, selfLoop);
        }

        return method.CreateDelegate<CompiledBlock>(s_closure);
    }

    /// <summary>Returns done + <paramref name="count"/>; a loop block also clears its fault-accounting field.</summary>
    private static void EmitReturn(ILGenerator il, LocalBuilder done, int count, bool selfLoop)
    {
        if (selfLoop)
        {
            il.Emit(OpCodes.Ldarg_1);
            il.Emit(OpCodes.Ldc_I4_0);
            il.Emit(OpCodes.Stfld, s_loopRetired);
        }

        il.Emit(OpCodes.Ldloc, done);
        il.Emit(OpCodes.Ldc_I4, count);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Ret);
    }
}

/// <summary>A compiled block: runs it (and, for a loop, more iterations within <c>budget</c>) and returns the instructions retired.</summary>
internal delegate int CompiledBlock(X86Cpu cpu, DecodedOp[] ops, int budget);
