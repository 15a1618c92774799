using ResistanceBot.Hosting;

return await Cli.RunAsync(args);
