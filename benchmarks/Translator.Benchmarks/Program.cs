using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Translator.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
