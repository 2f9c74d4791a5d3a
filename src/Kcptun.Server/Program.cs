// kcptun-server: parse and run; everything else lives in Kcptun.Cli (configuration, hosting) and Kcptun.Core.
return await Kcptun.Cli.Hosting.ServerProgram.RunAsync(args).ConfigureAwait(false);
