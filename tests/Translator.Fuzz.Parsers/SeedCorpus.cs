using System.Text;
using Translator.Vmm;

namespace Translator.Fuzz.Parsers;

/// <summary>The starting inputs of each target: small valid files of each format, which afl-fuzz then mutates.</summary>
internal static class SeedCorpus
{
    public static void Write(string target, string repository, string directory)
    {
        Directory.CreateDirectory(directory);
        string guests = Path.Combine(repository, "tests/guests/build");
        switch (target)
        {
            case "elf":
                Copy(guests, directory, "sieve.elf", "elf_hello.elf", "crc32.elf");
                break;
            case "flat":
                Copy(guests, directory, "io_heavy.bin", "ring3.bin", "pv_guest.bin", "unassigned.bin");
                break;
            case "host-config":
                Text(directory, "two-vms.json", """
                    { "cpus": 2, "threads": 1, "periodInstructions": 1000000, "runFor": 50000000, "console": "files",
                      "consoleDirectory": "out", "vms": [
                      { "name": "web", "image": "crc32.elf", "backend": "hw", "memory": 16, "weight": 512, "cap": 50,
                        "maxInstructions": 100000000, "paging": "shadow", "expectExitCode": 1 },
                      { "name": "pv1", "image": "Microbench", "backend": "pv", "execution": "translated" } ] }
                    """);
                Text(directory, "one-vm.json", """{ "vms": [ { "name": "bt1", "image": "Compute", "backend": "bt", "translation": "interpreter" } ] }""");
                break;
            case "snapshot":
                foreach ((string image, string backend) in new[] { ("io_heavy.bin", "native"), ("paging.bin", "hw"), ("ring3.bin", "bt") })
                {
                    var options = new VmOptions { Backend = VmOptions.Parse(backend)!.Value, MemoryMiB = 2, Translation = TranslationSource.InterpreterOnly };
                    VirtualMachine machine = VirtualMachine.Create(File.ReadAllBytes(Path.Combine(guests, image)), options);
                    machine.Run(300);
                    byte[] snapshot = machine.TakeSnapshot().ToBytes();
                    File.WriteAllBytes(Path.Combine(directory, $"{backend}-{image}.body"), snapshot[..^32]); // the harness re-seals the SHA-256
                }

                break;
            case "options":
                Lines(directory, "run-cost", "run", "Hello", "--backend", "hw", "--paging", "shadow", "--cost", "vmExit=1500", "--cost", "shadowFill=10", "--stats", "s.json");
                Lines(directory, "run-snapshot", "run", "x.elf", "--snapshot-at", "1000", "--snapshot", "s.snap", "--memory", "16", "--max-instructions", "99");
                Lines(directory, "compare", "compare", "Microbench", "--cost", "btCallout=40", "--stats", "out.json");
                Lines(directory, "resume", "resume", "s.snap", "--backend", "bt", "--stats", "r.json");
                Lines(directory, "host", "host", "c.json", "--progress");
                break;
            default:
                throw new ArgumentException($"no target '{target}'");
        }
    }

    private static void Copy(string from, string to, params string[] names)
    {
        foreach (string name in names)
        {
            File.Copy(Path.Combine(from, name), Path.Combine(to, name), overwrite: true);
        }
    }

    private static void Text(string directory, string name, string text) => File.WriteAllText(Path.Combine(directory, name), text, new UTF8Encoding(false));

    private static void Lines(string directory, string name, params string[] args) => Text(directory, name, string.Join('\n', args));
}
