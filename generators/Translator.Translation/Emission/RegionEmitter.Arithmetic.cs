using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>Integer arithmetic, logic, multiply/divide, shifts and rotates, emitted as C#.</summary>
internal sealed partial class RegionEmitter
{
    /// <summary>ADD/SUB/ADC/SBB/AND/OR/XOR/CMP/TEST: read both operands, compute, write back, keep the flag operands.</summary>
    private void EmitBinary(Node node)
    {
        Instruction i = node.D.Instruction;
        int bits = InstructionFacts.OperandBits(in i);
        Mnemonic mnemonic = i.Mnemonic;
        W.Line("{");
        W.Indent();

        string carry = mnemonic is Mnemonic.Adc or Mnemonic.Sbb ? CarryAt(node) : "";
        if (i.Op1Kind == OpKind.Memory)
        {
            // The memory operand first: no register operand is then live across its slow path's call.
            Load(node, 1, bits, "b");
            Load(node, 0, bits, "a", keepAddress: true);
        }
        else
        {
            Load(node, 0, bits, "a", keepAddress: true);
            Load(node, 1, bits, "b");
        }

        if (carry.Length > 0)
        {
            W.Line($"uint c = {carry} ? 1u : 0u;");
        }

        string result = mnemonic switch
        {
            Mnemonic.Add => "a + b",
            Mnemonic.Adc => "a + b + c",
            Mnemonic.Sub or Mnemonic.Cmp => "a - b",
            Mnemonic.Sbb => "a - b - c",
            Mnemonic.And or Mnemonic.Test => "a & b",
            Mnemonic.Or => "a | b",
            _ => "a ^ b",
        };
        W.Line($"uint r = {Masked(result, bits)};");
        if (mnemonic is not (Mnemonic.Cmp or Mnemonic.Test))
        {
            Store(node, "r", bits, RecordOwn(node, "a", "b", "r", "c"));
        }

        switch (KindOf(node.D))
        {
            case Producer.Logic:
                Produce(node, "", "", "r", "");
                break;
            case Producer.Adc:
            case Producer.Sbb:
                Produce(node, "a", "b", "r", "c");
                break;
            default:
                Produce(node, "a", "b", "r", "");
                break;
        }

        Retire();

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>INC/DEC/NEG/NOT on one operand.</summary>
    private void EmitUnary(Node node)
    {
        Instruction i = node.D.Instruction;
        int bits = InstructionFacts.OperandBits(in i);
        W.Line("{");
        W.Indent();

        Load(node, 0, bits, "a", keepAddress: true);
        string result = i.Mnemonic switch
        {
            Mnemonic.Inc => "a + 1u",
            Mnemonic.Dec => "a - 1u",
            Mnemonic.Neg => "0u - a",
            _ => "~a",
        };
        W.Line($"uint r = {Masked(result, bits)};");
        string own = i.Mnemonic switch
        {
            Mnemonic.Inc or Mnemonic.Dec => RecordOwn(node, "a", "", "r", ""),
            Mnemonic.Neg => RecordOwn(node, "0u", "a", "r", ""),
            _ => "",
        };
        Store(node, "r", bits, own);
        switch (i.Mnemonic)
        {
            case Mnemonic.Inc:
            case Mnemonic.Dec:
                Produce(node, "a", "", "r", "");
                break;
            case Mnemonic.Neg:
                Produce(node, "0u", "a", "r", "");
                break;
        }

        Retire();

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>MUL/IMUL (32-bit): the product, and CF/OF = the high half is significant.</summary>
    private void EmitMultiply(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();

        if (i.OpCount == 1)
        {
            Load(node, 0, 32, "b");
            _used[0] = true;
            if (i.Mnemonic == Mnemonic.Mul)
            {
                W.Line("ulong pu = (ulong)eax * b;");
                W.Line("uint lo = (uint)pu; uint hi = (uint)(pu >> 32);");
                W.Line("uint o = hi != 0 ? 1u : 0u;");
            }
            else
            {
                W.Line("long ps = (long)(int)eax * (int)b;");
                W.Line("uint lo = (uint)ps; uint hi = (uint)(ps >> 32);");
                W.Line("uint o = ps != (int)ps ? 1u : 0u;");
            }

            WriteRegister(Register.EAX, "lo");
            WriteRegister(Register.EDX, "hi");
            Produce(node, "", "", "lo", "o");
        }
        else
        {
            if (i.OpCount == 2)
            {
                Load(node, 0, 32, "a");
                Load(node, 1, 32, "b");
            }
            else
            {
                Load(node, 1, 32, "a");
                Load(node, 2, 32, "b");
            }

            W.Line("long ps = (long)(int)a * (int)b;");
            W.Line("uint lo = (uint)ps;");
            W.Line("uint o = ps != (int)ps ? 1u : 0u;");
            WriteRegister(i.Op0Register, "lo");
            Produce(node, "", "", "lo", "o");
        }

        Retire();
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>DIV/IDIV (32-bit) inline; a divide error (#DE) is raised by the shared handler, precisely.</summary>
    private void EmitDivide(Node node)
    {
        Instruction i = node.D.Instruction;
        _used[0] = _used[2] = true;
        W.Line("{");
        W.Indent();

        Load(node, 0, 32, "d");
        if (i.Mnemonic == Mnemonic.Div)
        {
            W.Line("bool ok = d != 0 && edx < d;");
            W.Line("ulong uq = 0; ulong urem = 0;");
            W.Line("if (ok) { ulong un = ((ulong)edx << 32) | eax; uq = un / d; urem = un - uq * d; }");
        }
        else
        {
            W.Line("long sn = (long)(((ulong)edx << 32) | eax);");
            W.Line("bool ok = d != 0 && !((int)d == -1 && sn == long.MinValue);");
            W.Line("long sq = 0; long srem = 0;");
            W.Line("if (ok) { sq = sn / (int)d; srem = sn % (int)d; ok = sq == (int)sq; }");
        }

        W.Line("if (!ok)");
        W.Line("{");
        W.Indent();
        int pendingBefore = _pending;
        EmitHandlerCall(node);
        _pending = pendingBefore;
        W.Outdent();
        W.Line("}");
        W.Line("else");
        W.Line("{");
        W.Indent();
        string quotient = i.Mnemonic == Mnemonic.Div ? "uq" : "sq", remainder = i.Mnemonic == Mnemonic.Div ? "urem" : "srem";
        WriteRegister(Register.EAX, $"(uint){quotient}");
        WriteRegister(Register.EDX, $"(uint){remainder}");
        W.Outdent();
        W.Line("}");
        Retire();
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>SHL/SHR/SAR (32-bit): by an immediate with exact flags; by CL only where flags are dead.</summary>
    private void EmitShift(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();

        Load(node, 0, 32, "a", keepAddress: true);
        if (node.D.Form == Form.InlineRecordingFlags)
        {
            // The flags change only for a nonzero count: pending flags go to the CPU first, then the shift records its own.
            string pending = Materialize(node, after: false);
            if (pending.Length > 0)
            {
                W.Line(pending);
            }

            W.Line($"int cnt = (int)({ReadRegister(Register.ECX)} & 31u);");
            W.Line("if (cnt != 0)");
            W.Line("{");
            W.Indent();
            (string cf, string of, string result) = ShiftFlags(i.Mnemonic, "a", "cnt", "(cnt - 1)", constantCount: null);
            W.Line($"uint r = {result};");
            WriteRegister(i.Op0Register, "r");
            W.Line(RecordOwn(node, cf, of, "r", ""));
            W.Outdent();
            W.Line("}");
        }
        else if (i.Op1Kind == OpKind.Register)
        {
            string count = $"(int)({ReadRegister(Register.ECX)} & 31u)";
            string result = i.Mnemonic switch
            {
                Mnemonic.Shl => $"a << {count}",
                Mnemonic.Shr => $"a >> {count}",
                _ => $"(uint)((int)a >> {count})",
            };
            W.Line($"uint r = {result};");
            Store(node, "r", 32);
        }
        else
        {
            // CF and OF only where something observes them (a slow path, an exit, a reader): from the input.
            (string cf, string of, string result) = ShiftFlags(i.Mnemonic, ShiftCount(in i), "a");
            W.Line($"uint r = {result};");
            Store(node, "r", 32, RecordOwn(node, cf, of, "r", ""));
            Produce(node, "a", "", "r", "");
        }

        Retire();

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>The count of a shift by an immediate (1-31: a zero count is left to the handler).</summary>
    private static int ShiftCount(in Instruction i) => (int)(i.GetImmediate(1) & 31);

    /// <summary>CF, OF and the result of a shift by an immediate count (1-31) of <paramref name="x"/>; see the overload.</summary>
    private static (string Cf, string Of, string Result) ShiftFlags(Mnemonic mnemonic, int count, string x) =>
        ShiftFlags(mnemonic, x, Decimal(count), Decimal(count - 1), count);

    /// <summary>
    /// CF, OF and the result of SHL/SHR/SAR of <paramref name="x"/> by a nonzero count <paramref name="n"/>
    /// (<paramref name="n1"/> is n - 1), as expressions: CF is the last bit shifted out; OF is defined for a count of
    /// 1 and computed as the handler does otherwise (CF xor the result's sign for SHL, 0 for SAR, and for SHR the
    /// sign of the input shifted by n - 1 against the result's, which is 0 but for a count of 1).
    /// </summary>
    private static (string Cf, string Of, string Result) ShiftFlags(Mnemonic mnemonic, string x, string n, string n1, int? constantCount)
    {
        switch (mnemonic)
        {
            case Mnemonic.Shl:
                string cf = $"(({x} << {n1}) >> 31)";
                return (cf, $"({cf} ^ (({x} << {n}) >> 31))", $"({x} << {n})");
            case Mnemonic.Shr:
                string of = constantCount switch
                {
                    1 => $"({x} >> 31)",
                    null => $"(((({x} >> {n1}) ^ ({x} >> {n})) >> 31) & 1u)",
                    _ => "0u",
                };
                return ($"(({x} >> {n1}) & 1u)", of, $"({x} >> {n})");
            default:
                return ($"((uint)((int){x} >> {n1}) & 1u)", "0u", $"(uint)((int){x} >> {n})");
        }
    }

    private static string Decimal(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>BSR/BSF (32-bit): the index when the source is nonzero; the flags are those of a logic result equal to the source.</summary>
    private void EmitBitScan(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();
        Load(node, 1, 32, "v");
        string index = i.Mnemonic == Mnemonic.Bsr ? "(uint)(31 - System.Numerics.BitOperations.LeadingZeroCount(v))" : "(uint)System.Numerics.BitOperations.TrailingZeroCount(v)";
        W.Line("if (v != 0)");
        W.Line("{");
        W.Indent();
        WriteRegister(i.Op0Register, index);
        W.Outdent();
        W.Line("}");
        Produce(node, "", "", "v", "");
        Retire();
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>SHLD/SHRD (32-bit register destination) where the flags are dead.</summary>
    private void EmitDoubleShift(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();
        string count = i.Op2Kind == OpKind.Register ? $"(int)({ReadRegister(Register.ECX)} & 31u)" : ((int)(i.GetImmediate(2) & 31)).ToString();
        W.Line($"int cnt = {count};");
        W.Line($"uint a = {ReadRegister(i.Op0Register)};");
        W.Line($"uint b = {ReadRegister(i.Op1Register)};");
        string shifted = i.Mnemonic == Mnemonic.Shld ? "(a << cnt) | (b >> (32 - cnt))" : "(a >> cnt) | (b << (32 - cnt))";
        WriteRegister(i.Op0Register, $"cnt == 0 ? a : {shifted}");
        Retire();
        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }

    /// <summary>ROL/ROR (32-bit) where CF/OF are dead: a plain rotate.</summary>
    private void EmitRotate(Node node)
    {
        Instruction i = node.D.Instruction;
        W.Line("{");
        W.Indent();

        Load(node, 0, 32, "a", keepAddress: true);
        string count = i.Op1Kind == OpKind.Register ? $"(int)({ReadRegister(Register.ECX)} & 31u)" : ((int)(i.GetImmediate(1) & 31)).ToString();
        string rotate = i.Mnemonic == Mnemonic.Rol ? "RotateLeft" : "RotateRight";
        W.Line($"uint r = System.Numerics.BitOperations.{rotate}(a, {count});");
        Store(node, "r", 32);
        Retire();

        W.Outdent();
        W.Line("}");
        FallThrough(node);
    }
}
