// The command line front end lands with issue 5; until then the program says so and fails.
Console.Error.WriteLine("kcptun for .NET: this program is not built yet (see issue 5)");
return 1;
