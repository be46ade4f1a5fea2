return NExtLong.Cli.NExtLongCommand.Run(args);
