using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Iced.Intel;
using Translator.KernelCompiler.CodeGen;
using Translator.KernelCompiler.Model;
using Translator.Paravirt.Abi;
using CodeGenDiagnostics = Translator.KernelCompiler.Diagnostics;

namespace Translator.KernelCompiler.Linking;

internal sealed partial class KernelLinker
{
    /// <summary>
    /// One build of the kernel: its specialized functions, what they reach, and their code. The data layout is the
    /// linker's, shared by both builds.
    /// </summary>
    private sealed partial class BuildLinker
    {
        private const uint MultibootHeaderSize = 32;

        private readonly KernelLinker _linker;
        private readonly Dictionary<string, GuestFunction> _functions = new();
        private readonly Listing _listing = new();
        private readonly List<(string Name, int Instruction)> _functionStarts = new();
        private readonly List<(GuestFunction Handler, Label Stub)> _stubs = new();
        private List<GuestFunction> _reached = new();
        private Label _start;

        public BuildLinker(KernelLinker linker, Build build)
        {
            _linker = linker;
            Build = build;
            Symbols = new ImageSymbols(Code, build == Build.Paravirtual);
            var ignored = new List<DiagnosticInfo>();
            var specializer = new BuildSpecializer(build, linker._kernel.Name, ignored);
            foreach (KeyValuePair<string, GuestFunction> function in linker._functions)
            {
                _functions[function.Key] = specializer.Specialize(function.Value);
            }
        }

        public Build Build { get; }

        public bool Paravirtual => Build == Build.Paravirtual;

        public CodeBuffer Code { get; } = new();

        public ImageSymbols Symbols { get; }

        public List<DiagnosticInfo> Diagnostics { get; } = new();

        /// <summary>Any diagnostic at all leaves the build without an image (a PV one's are warnings).</summary>
        public bool Failed => Diagnostics.Count > 0;

        public List<string> Fields { get; } = new();

        public List<string> Strings { get; } = new();

        public List<GuestFunction> Handlers { get; private set; } = new();

        public uint CodeBase => LoadAddress + (Paravirtual ? PvImageHeader.Size : MultibootHeaderSize);

        public EncodedCode? Encoded { get; set; }

        private GuestClassModel Kernel => _linker._kernel;

        /// <summary>Functions reachable from the entry and the interrupt handlers, in a stable order; what they use.</summary>
        public void Reach(GuestFunction entry)
        {
            var reached = new HashSet<string>();
            var seenFields = new HashSet<string>();
            var seenStrings = new HashSet<string>();
            var work = new Queue<string>();
            void Add(string key)
            {
                if (reached.Add(key))
                {
                    work.Enqueue(key);
                }
            }

            Add(entry.Key);
            if (Paravirtual)
            {
                Add(ParavirtRuntime.FlushConsole); // the PV runtime's exit and panic paths call it
            }

            foreach (GuestFunction handler in Kernel.Functions.Where(f => f.Kind == FunctionKind.InterruptHandler))
            {
                Add(handler.Key);
            }

            var reachedClasses = new HashSet<string> { Kernel.Key };
            while (work.Count > 0)
            {
                string key = work.Dequeue();
                if (!_functions.TryGetValue(key, out GuestFunction? function))
                {
                    Diagnostics.Add(DiagnosticInfo.Create(CodeGenDiagnostics.UnresolvedCall, Kernel.Location, Kernel.Name, key.StartsWith("M:") ? key.Substring(2) : key));
                    continue;
                }

                // Reaching a guest code class brings its interrupt handlers with it (a library can own a vector).
                GuestClassModel owner = _linker._owners[key];
                if (reachedClasses.Add(owner.Key))
                {
                    foreach (GuestFunction handler in owner.Functions.Where(f => f.Kind == FunctionKind.InterruptHandler))
                    {
                        Add(handler.Key);
                    }
                }

                var walker = new IrWalker();
                walker.Visit(function.Body);
                foreach (string callee in walker.Functions)
                {
                    Add(callee);
                }

                Fields.AddRange(walker.Fields.Where(seenFields.Add));
                Strings.AddRange(walker.Strings.Where(seenStrings.Add));
            }

            if (Paravirtual)
            {
                // The PV runtime (start, event callback, lowerings) keeps its state in the Paravirt class's fields.
                Fields.AddRange(ParavirtRuntime.Fields.Where(seenFields.Add));
            }

            // Declaration order, kernel first: the listing reads like the source.
            _reached = new List<GuestFunction>();
            foreach (GuestClassModel model in _linker._owners.Values.Distinct().OrderBy(m => m.IsKernel ? 0 : 1).ThenBy(m => m.Key, StringComparer.Ordinal))
            {
                _reached.AddRange(model.Functions.Where(f => reached.Contains(f.Key)).Select(f => _functions[f.Key]));
            }

            ReportSpecializationDiagnostics();
            Handlers = _reached.Where(f => f.Kind == FunctionKind.InterruptHandler).OrderBy(f => f.Vector).ToList();
            foreach (IGrouping<byte, GuestFunction> clash in Handlers.GroupBy(h => h.Vector).Where(g => g.Count() > 1))
            {
                Diagnostics.Add(DiagnosticInfo.Create(CodeGenDiagnostics.DuplicateVector, Kernel.Location, clash.Key.ToString("X2"), clash.First().Name));
            }
        }

        /// <summary>What the build cannot have (a hypercall in the bare-metal build, an intrinsic without a PV form), for what it reaches.</summary>
        private void ReportSpecializationDiagnostics()
        {
            var seen = new HashSet<string>();
            foreach (GuestFunction function in _reached)
            {
                var single = new List<DiagnosticInfo>();
                new BuildSpecializer(Build, Kernel.Name, single).Specialize(_linker._functions[function.Key]);
                Diagnostics.AddRange(single.Where(d => seen.Add(d.ToString())));
            }
        }

        /// <summary>Compiles the reached functions, the start routine, the interrupt stubs and the runtime routines.</summary>
        public void Compile(DataAddress stackTop, DataAddress panicMessage, Action initialize, CancellationToken cancellation)
        {
            Symbols.CopyDataFrom(_linker._layout);
            foreach (GuestFunction function in _reached)
            {
                Symbols.AddFunction(function.Key, Code.NewLabel());
            }

            _start = Code.NewLabel();
            Label callback = Code.NewLabel();
            _listing.Mark(Code, "start:");
            _functionStarts.Add(("start", 0));
            GuestFunction entry = _reached.First(f => f.Kind == FunctionKind.Entry);
            if (Paravirtual)
            {
                ParavirtRoutines.EmitStart(Code, Symbols, _start, Symbols.Function(entry.Key), callback, stackTop, initialize);
            }
            else
            {
                RuntimeRoutines.EmitStart(Code, _start, Symbols.Function(entry.Key), stackTop, Symbols.BootRegisters, initialize);
            }

            foreach (GuestFunction function in _reached)
            {
                cancellation.ThrowIfCancellationRequested();
                _functionStarts.Add((function.Name, Code.InstructionCount));
                new FunctionCompiler(Code, Symbols, function, _listing).Compile();
            }

            foreach (GuestFunction handler in Handlers)
            {
                Label stub = Code.NewLabel();
                string name = $"interrupt 0x{handler.Vector:x2}";
                Mark(name);
                if (Paravirtual)
                {
                    ParavirtRoutines.EmitInterruptStub(Code, Symbols, stub, handler.Vector, Symbols.Function(handler.Key), handler.ParameterCount == 1);
                }
                else
                {
                    RuntimeRoutines.EmitInterruptStub(Code, stub, handler.Vector, Symbols.Function(handler.Key), handler.ParameterCount == 1);
                }

                _stubs.Add((handler, stub));
            }

            if (Paravirtual)
            {
                Mark("event callback");
                var irqHandlers = Handlers.Where(h => h.Vector >= 0x20)
                    .Select(h => (h.Vector, Symbols.Function(h.Key), h.ParameterCount == 1)).ToList();
                ParavirtRoutines.EmitEventCallback(Code, Symbols, callback, irqHandlers);
                Mark("interrupt return");
                ParavirtRoutines.EmitInterruptReturn(Code, Symbols);
            }

            Mark("index out of range");
            if (Paravirtual)
            {
                ParavirtRoutines.EmitBoundsFailure(Code, Symbols, Symbols.BoundsFailure, panicMessage);
            }
            else
            {
                RuntimeRoutines.EmitBoundsFailure(Code, Symbols.BoundsFailure, panicMessage);
            }

            if (Symbols.UsesDivide64)
            {
                Mark("divide64 unsigned");
                RuntimeRoutines.EmitUnsignedDivide64(Code, Symbols.UnsignedDivide64);
                Mark("divide64 signed");
                RuntimeRoutines.EmitSignedDivide64(Code, Symbols.SignedDivide64, Symbols.UnsignedDivide64);
            }
        }

        private void Mark(string name)
        {
            _functionStarts.Add((name, Code.InstructionCount));
            _listing.Mark(Code, name + ":");
        }
    }
}
