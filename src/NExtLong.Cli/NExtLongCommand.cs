namespace NExtLong.Cli;

public static class NExtLongCommand
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("nextlong: not yet wired");
        return 1;
    }
}
