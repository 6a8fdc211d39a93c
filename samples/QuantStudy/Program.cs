// dotnet run -c Release --project samples/QuantStudy [-- --out DIR] [--model centerpoint|second] [--input SCAN]
//   [--accelerator auto|cpu|cuda] [--budget 0.01] [--seed 2024] [--sites 20000]
return KernelGen.Samples.QuantStudy.QuantStudyCommand.Run(args, Console.Out, Console.Error);
