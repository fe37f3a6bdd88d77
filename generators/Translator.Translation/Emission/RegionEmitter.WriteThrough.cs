using Iced.Intel;
using Translator.Translation.Discovery;

namespace Translator.Translation.Emission;

/// <summary>
/// Which register writes need not go through to the CPU: a value the next instructions of the same straight line
/// overwrite before anything outside the method can read the CPU's copy (a fault, a slow path, a handler, an exit,
/// a budget check) is never seen there. interp.elf's dispatch writes EBX, EBP and EDX two or three times each
/// (<c>mov ebx,eax; shr ebx,8; and ebx,0xF</c>) between two memory accesses: one store each instead of three.
/// </summary>
internal sealed partial class RegionEmitter
{
    /// <summary>The node being emitted.</summary>
    private Node? _node;

    /// <summary>Registers each node writes (bit k: register k), learned by the first emission pass.</summary>
    private int[] _writesByNode = [];

    /// <summary>The second pass is under way: <see cref="_writesByNode"/> is complete.</summary>
    private bool _writesKnown;

    /// <summary>
    /// Whether register <paramref name="k"/>, just written by the current instruction, is overwritten by a later one
    /// before anything could observe the CPU's copy: the current instruction and every one up to the overwriting one
    /// stay in registers (<see cref="StaysInRegisters"/>), in one straight line (no label between: nothing enters it
    /// from elsewhere), and the overwriting one writes the register whatever happens (<see cref="WritesWhateverHappens"/>).
    /// </summary>
    private bool WrittenAgainBeforeObserved(int k)
    {
        Node current = _node!;
        if (!_writesKnown || !StaysInRegisters(current))
        {
            return false;
        }

        var nodes = _plan.Nodes;
        for (int j = current.Index + 1; j < nodes.Count; j++)
        {
            Node next = nodes[j];
            if (nodes[j - 1].Next != next || next.Label || !StaysInRegisters(next))
            {
                return false;
            }

            if ((_writesByNode[j] & (1 << k)) != 0)
            {
                return WritesWhateverHappens(next.D);
            }
        }

        return false;
    }

    /// <summary>
    /// An instruction that writes its destination register in every case: not CMOVcc or SETcc (a condition), CMPXCHG
    /// (EAX or the destination), BSF/BSR (unchanged for a zero source), or a shift or rotate by CL (unchanged for a
    /// zero count).
    /// </summary>
    private static bool WritesWhateverHappens(DecodedInstruction d)
    {
        Instruction i = d.Instruction;
        if (d.Condition >= 0 || i.Mnemonic is Mnemonic.Cmpxchg or Mnemonic.Bsf or Mnemonic.Bsr)
        {
            return false;
        }

        bool byCl = i.OpCount > 1 && i.GetOpKind(i.OpCount - 1) == OpKind.Register && i.GetOpRegister(i.OpCount - 1) == Register.CL;
        return !(byCl && i.Mnemonic is Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Sal or Mnemonic.Rol or Mnemonic.Ror
            or Mnemonic.Rcl or Mnemonic.Rcr or Mnemonic.Shld or Mnemonic.Shrd);
    }

    /// <summary>
    /// An instruction during which nothing outside the method runs or reads the CPU: inline, no memory access or
    /// other fault, no transfer of control, no budget check after it (every block-ending instruction has one), no
    /// hypercall.
    /// </summary>
    private static bool StaysInRegisters(Node node)
    {
        DecodedInstruction d = node.D;
        return !d.IsFallback && !d.CanFault && d.Flow == FlowControl.Next && !node.BudgetCheck && d.Hypercall == HypercallSite.None;
    }
}
