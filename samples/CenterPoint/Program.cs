// The main job: CenterPoint's sparse backbone on a real scan, calibrated, tuned, fp32 against int8 (MainJobApp).
return KernelGen.Samples.CenterPoint.App.MainJobApp.Run(args, Console.Out, Console.Error);
