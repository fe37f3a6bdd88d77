using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Translator.KernelCompiler;

/// <summary>The kernel compiler's diagnostics (documented in AnalyzerReleases.Unshipped.md and docs/dsl.md).</summary>
internal static class Diagnostics
{
    private const string Category = "Translator.KernelCompiler";

    public static readonly DiagnosticDescriptor ClassShape = Error(
        "TRN0001", "Guest class must be a top-level static partial class",
        "'{0}' must be a top-level static partial class to be compiled as guest code");

    public static readonly DiagnosticDescriptor EntryPoint = Error(
        "TRN0002", "Guest kernel needs exactly one entry point",
        "Kernel '{0}' {1}: mark exactly one 'static void' method without parameters with [Entry]");

    public static readonly DiagnosticDescriptor UnsupportedType = Error(
        "TRN0003", "Type not supported in guest code",
        "Type '{0}' is not supported in guest code: use bool, char, the integer types up to long/ulong, enums, structs and pointers of them, arrays, or string");

    public static readonly DiagnosticDescriptor UnsupportedExpression = Error(
        "TRN0004", "Expression not supported in guest code",
        "{0} is not supported in guest code: {1}");

    public static readonly DiagnosticDescriptor UnsupportedStatement = Error(
        "TRN0005", "Statement not supported in guest code",
        "{0} is not supported in guest code: {1}");

    public static readonly DiagnosticDescriptor NotGuestCode = Error(
        "TRN0006", "Call to a method that is not guest code",
        "'{0}' cannot be called from guest code: only static methods of [GuestKernel] and [GuestCode] classes and Translator.Guest intrinsics can");

    public static readonly DiagnosticDescriptor CheckedArithmetic = Error(
        "TRN0007", "Checked arithmetic in guest code",
        "Checked arithmetic is not supported in guest code: integer operations wrap, as in an unchecked context");

    public static readonly DiagnosticDescriptor FieldInitializer = Error(
        "TRN0008", "Static field initializer not supported",
        "The initializer of '{0}' is not supported: use a constant, a string literal, 'new T[constant]' or an array initializer of constants");

    public static readonly DiagnosticDescriptor PrivilegedInUserMode = Error(
        "TRN0009", "Privileged intrinsic in ring 3 code",
        "'{0}' is privileged and '{1}' runs at ring 3 ([UserMode]): reach the kernel through Cpu.SystemCall");

    public static readonly DiagnosticDescriptor ConstantArgument = Error(
        "TRN0010", "Intrinsic argument must be a constant",
        "Argument '{0}' of '{1}' must be a compile-time constant");

    public static readonly DiagnosticDescriptor HandlerShape = Error(
        "TRN0011", "Interrupt handler has the wrong shape",
        "Interrupt handler '{0}' must be 'static void' and take nothing or 'ref InterruptFrame'");

    public static readonly DiagnosticDescriptor DuplicateVector = Error(
        "TRN0012", "Two handlers for one interrupt vector",
        "Vector 0x{0} already has the handler '{1}'");

    public static readonly DiagnosticDescriptor StructLayout = Error(
        "TRN0020", "Struct cannot be laid out in guest memory",
        "Struct '{0}' cannot be guest data: {1}");

    public static readonly DiagnosticDescriptor MethodShape = Error(
        "TRN0013", "Method shape not supported in guest code",
        "'{0}' cannot be guest code: {1}");

    public static readonly DiagnosticDescriptor UnresolvedCall = Error(
        "TRN0014", "Guest method not found when linking",
        "Kernel '{0}' calls '{1}', which is not guest code compiled with this project (is its class marked [GuestCode], and the method declared in the part that carries the attribute?)");

    // Issue 15's second round (TRN003x): property patterns, constant tables, ranges, interpolated-string handlers.
    public static readonly DiagnosticDescriptor UnsupportedPattern = Error(
        "TRN0030", "Pattern not supported in guest code",
        "{0} is not supported in guest code: {1}");

    public static readonly DiagnosticDescriptor TableInitializer = Error(
        "TRN0031", "Table of strings or arrays without every row",
        "The table '{0}' cannot be laid out at build time: {1}; {2}");

    public static readonly DiagnosticDescriptor UnsupportedRange = Error(
        "TRN0032", "Range that is not plain indexing",
        "{0} is not supported in guest code: {1}");

    public static readonly DiagnosticDescriptor InterpolationHandlerUse = Error(
        "TRN0033", "Interpolated-string handler outside a call statement",
        "{0} is not supported in guest code: {1}");

    // The paravirtual build (TRN1xxx).
    public static readonly DiagnosticDescriptor HypercallShape = Error(
        "TRN1001", "Hypercall stub has the wrong shape",
        "'{0}' cannot be called as a hypercall: {1}");

    public static readonly DiagnosticDescriptor HypercallInBareMetal = Error(
        "TRN1002", "Hypercall in the bare-metal build",
        "'Hypercall.{0}' is reached by the bare-metal build of kernel '{1}': a hypercall exists only in the paravirtual build; put it under 'if (KernelImage.IsParavirtual)'");

    public static readonly DiagnosticDescriptor NoParavirtualForm = Warning(
        "TRN1003", "Intrinsic has no paravirtual form: the kernel gets no PV image",
        "Kernel '{1}' gets no paravirtual image: '{0}' has no paravirtual form and its PV build reaches it ({2}); give the call a PV path under 'if (KernelImage.IsParavirtual)'");

    public static readonly DiagnosticDescriptor PrivilegedInstructionInPvImage = Error(
        "TRN1004", "Privileged instruction in the paravirtual image",
        "The paravirtual image of kernel '{0}' contains the privileged instruction '{1}' at 0x{2} (in {3}): it would fault at CPL 1");

    public static readonly DiagnosticDescriptor InternalError = Error(
        "TRN0099", "Kernel compiler internal error",
        "The kernel compiler failed on '{0}': {1}");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [ClassShape.Id] = ClassShape,
        [EntryPoint.Id] = EntryPoint,
        [UnsupportedType.Id] = UnsupportedType,
        [UnsupportedExpression.Id] = UnsupportedExpression,
        [UnsupportedStatement.Id] = UnsupportedStatement,
        [NotGuestCode.Id] = NotGuestCode,
        [CheckedArithmetic.Id] = CheckedArithmetic,
        [FieldInitializer.Id] = FieldInitializer,
        [PrivilegedInUserMode.Id] = PrivilegedInUserMode,
        [ConstantArgument.Id] = ConstantArgument,
        [HandlerShape.Id] = HandlerShape,
        [DuplicateVector.Id] = DuplicateVector,
        [MethodShape.Id] = MethodShape,
        [StructLayout.Id] = StructLayout,
        [UnsupportedPattern.Id] = UnsupportedPattern,
        [TableInitializer.Id] = TableInitializer,
        [UnsupportedRange.Id] = UnsupportedRange,
        [InterpolationHandlerUse.Id] = InterpolationHandlerUse,
        [UnresolvedCall.Id] = UnresolvedCall,
        [HypercallShape.Id] = HypercallShape,
        [HypercallInBareMetal.Id] = HypercallInBareMetal,
        [NoParavirtualForm.Id] = NoParavirtualForm,
        [PrivilegedInstructionInPvImage.Id] = PrivilegedInstructionInPvImage,
        [InternalError.Id] = InternalError,
    };

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    private static DiagnosticDescriptor Warning(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
