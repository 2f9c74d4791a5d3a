// kcptun-client: parse and run; everything else lives in Kcptun.Cli (configuration, hosting) and Kcptun.Core.
return await Kcptun.Cli.Hosting.ClientProgram.RunAsync(args).ConfigureAwait(false);
