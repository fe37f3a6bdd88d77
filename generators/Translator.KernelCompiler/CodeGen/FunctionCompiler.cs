using System.Collections.Generic;
using Iced.Intel;
using Translator.KernelCompiler.Model;
using static Iced.Intel.AssemblerRegisters;

namespace Translator.KernelCompiler.CodeGen;

/// <summary>
/// The code generator stage for one function: a straightforward tree walk that evaluates every expression into
/// EAX (EDX:EAX for 64-bit values), keeps temporaries on the stack and locals in an EBP frame. Calls push arguments
/// right to left and the callee pops them (<c>ret n</c>); no register survives a call but EBP and ESP.
/// </summary>
internal sealed partial class FunctionCompiler
{
    private readonly CodeBuffer _code;
    private readonly Assembler _a;
    private readonly ImageSymbols _symbols;
    private readonly GuestFunction _function;
    private readonly Listing _listing;
    private readonly int[] _slotOffsets;
    private readonly Dictionary<int, (Label Break, Label Continue)> _jumpTargets = new();
    private readonly Label _return;
    private readonly int _parameterBytes;
    private readonly int _localBytes;

    public FunctionCompiler(CodeBuffer code, ImageSymbols symbols, GuestFunction function, Listing listing)
    {
        _code = code;
        _a = code.A;
        _symbols = symbols;
        _function = function;
        _listing = listing;
        _return = code.NewLabel();
        _slotOffsets = new int[function.Slots.Count];

        int parameterOffset = 8;
        for (int i = 0; i < function.ParameterCount; i++)
        {
            _slotOffsets[i] = parameterOffset;
            parameterOffset += function.Slots[i].SlotSize;
        }

        _parameterBytes = parameterOffset - 8;
        int localOffset = 0;
        for (int i = function.ParameterCount; i < function.Slots.Count; i++)
        {
            localOffset += function.Slots[i].SlotSize;
            _slotOffsets[i] = -localOffset;
        }

        _localBytes = localOffset;
    }

    public void Compile()
    {
        _code.Bind(_symbols.Function(_function.Key));
        _listing.Mark(_code, _function.Name + ":");
        _a.push(ebp);
        _a.mov(ebp, esp);
        if (_localBytes > 0)
        {
            _a.sub(esp, _localBytes);
        }

        CompileStatement(_function.Body);

        _code.Bind(_return);
        _a.mov(esp, ebp);
        _a.pop(ebp);
        if (_parameterBytes > 0)
        {
            _a.ret((ushort)_parameterBytes);
        }
        else
        {
            _a.ret();
        }
    }

    private AssemblerMemoryOperand Slot(int slot, int extra = 0) => __dword_ptr[ebp + (_slotOffsets[slot] + extra)];

    private void CompileStatement(Stmt statement)
    {
        switch (statement)
        {
            case BlockStmt block:
                foreach (Stmt inner in block.Statements)
                {
                    CompileStatement(inner);
                }

                break;
            case SourceLineStmt line:
                _listing.MarkLine(_code, line.File, line.Line, $"    ; {line.Line}: {line.Text}");
                break;
            case ExprStmt { Expression: IncrementExpr { Postfix: true } increment }:
                // The old value is not used: i++ as a statement is ++i.
                Evaluate(increment with { Postfix = false });
                break;
            case ExprStmt expression:
                Evaluate(expression.Expression);
                break;
            case IfStmt ifStatement:
                CompileIf(ifStatement);
                break;
            case LoopStmt loop:
                CompileLoop(loop);
                break;
            case BreakStmt breakStatement:
                _a.jmp(_jumpTargets[breakStatement.Id].Break);
                break;
            case ContinueStmt continueStatement:
                _a.jmp(_jumpTargets[continueStatement.Id].Continue);
                break;
            case ReturnStmt returnStatement:
                if (returnStatement.Value is not null)
                {
                    Evaluate(returnStatement.Value);
                }

                _a.jmp(_return);
                break;
            case SwitchStmt switchStatement:
                CompileSwitch(switchStatement);
                break;
        }
    }

    private void CompileIf(IfStmt statement)
    {
        Label otherwise = _code.NewLabel();
        BranchOn(statement.Condition, otherwise, jumpIf: false);
        CompileStatement(statement.Then);
        if (statement.Else is null)
        {
            _code.Bind(otherwise);
            return;
        }

        Label end = _code.NewLabel();
        _a.jmp(end);
        _code.Bind(otherwise);
        CompileStatement(statement.Else);
        _code.Bind(end);
    }

    /// <summary>Test-first loops jump to the test at the bottom, so that each iteration takes one branch.</summary>
    private void CompileLoop(LoopStmt loop)
    {
        Label top = _code.NewLabel();
        Label test = _code.NewLabel();
        Label exit = _code.NewLabel();
        Label next = loop.Step is null ? test : _code.NewLabel();
        _jumpTargets[loop.Id] = (exit, next);

        if (loop.TestFirst && loop.Condition is not null)
        {
            _a.jmp(test);
        }

        _code.Bind(top);
        CompileStatement(loop.Body);
        if (loop.Step is not null)
        {
            _code.Bind(next);
            CompileStatement(loop.Step);
        }

        _code.Bind(test);
        if (loop.Condition is null)
        {
            _a.jmp(top);
        }
        else
        {
            BranchOn(loop.Condition, top, jumpIf: true);
        }

        _code.Bind(exit);
    }

    private void CompileSwitch(SwitchStmt statement)
    {
        Label exit = _code.NewLabel();
        _jumpTargets[statement.Id] = (exit, exit);
        Evaluate(statement.Value);

        var sectionLabels = new Label[statement.Sections.Count];
        Label? defaultLabel = null;
        for (int i = 0; i < statement.Sections.Count; i++)
        {
            SwitchSection section = statement.Sections[i];
            sectionLabels[i] = _code.NewLabel();
            if (section.IsDefault)
            {
                defaultLabel = sectionLabels[i];
            }

            foreach (ulong value in section.Labels)
            {
                if (statement.Value.Type.IsWide)
                {
                    Label skip = _code.NewLabel();
                    _a.cmp(eax, unchecked((int)(uint)value));
                    _a.jne(skip);
                    _a.cmp(edx, unchecked((int)(uint)(value >> 32)));
                    _a.je(sectionLabels[i]);
                    _code.Bind(skip);
                }
                else
                {
                    _a.cmp(eax, unchecked((int)(uint)value));
                    _a.je(sectionLabels[i]);
                }
            }
        }

        _a.jmp(defaultLabel ?? exit);
        for (int i = 0; i < statement.Sections.Count; i++)
        {
            _code.Bind(sectionLabels[i]);
            CompileStatement(statement.Sections[i].Body);
        }

        _code.Bind(exit);
    }
}
