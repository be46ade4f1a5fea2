Console.WriteLine("bench: not yet wired");
