using System.Text;
using Xunit;

namespace Translator.Vmm.Tests.Conformance;

/// <summary>
/// kvm-unit-tests' taskswitch2 past its VM86 test (docs/virtual-8086.md): an IRET with NT into a busy TSS whose
/// EFLAGS image has VM set, a UD2 in v86 mode that comes back through a task gate, and then the test after it, a
/// CALL to a task whose CS is conforming with DPL 0 below its RPL 3, which the SDM allows (QEMU 7.2 TCG raises #TS
/// there). Every backend reaches the summary; under trap the conforming task's STR at CPL 3 reads the VMM's null TR
/// (a Popek-Goldberg hole: no UMIP here), so it prints "Unknown TSS 0" where the others print its TR.
/// </summary>
public sealed class KvmUnitTestsVirtual8086
{
    [KvmUnitTestsFact]
    public void Taskswitch2RunsPastItsVm86TestOnEveryBackend()
    {
        byte[] image = File.ReadAllBytes(Path.Combine(KvmUnitTests.Folder!, "images", "taskswitch2.flat"));
        foreach (string configuration in new[] { "native", "hw-ept", "hw-shadow", "bt", "trap" })
        {
            VmRunResult run = Devices.LocalApicGuestTests.Run(image, configuration, maxInstructions: 1_000_000_000UL,
                devices: new Translator.Machine.Devices.PcDeviceOptions { TestDevice = true }, memoryMiB: 128);
            string text = Encoding.ASCII.GetString(run.Console).Replace("\r", "", StringComparison.Ordinal);
            string tail = text[Math.Max(0, text.IndexOf("Switch to VM86 task and back", StringComparison.Ordinal))..];
            string tssLine = configuration == "trap" ? "Unknown TSS 0" : "TR=20 (interrupt) Main TSS back link 0. Intr TSS back link 50";
            Assert.True(tail.StartsWith($"Switch to VM86 task and back\nPASS: VM86\nConforming task is running\n{tssLine}\nPASS: lcall with cs.rpl != cs.dpl\nSUMMARY: ", StringComparison.Ordinal),
                $"{configuration}: exit {run.ExitCode} ({run.Result.Message})\n{text}");
            Assert.DoesNotContain("FAIL: VM86", text, StringComparison.Ordinal);
        }
    }
}
