namespace Kcptun.Fuzz;

/// <summary>Runs saved inputs through a target outside afl-fuzz (a crash file, a whole corpus) and reports findings.</summary>
public static class Replay
{
    /// <summary>The files <paramref name="paths"/> name: files as given, folders' files recursively, sorted.</summary>
    public static IEnumerable<string> Files(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    if (!Path.GetFileName(file).StartsWith('.') && !file.EndsWith(".md", StringComparison.Ordinal))
                    {
                        yield return file;
                    }
                }
            }
            else
            {
                yield return path;
            }
        }
    }

    /// <summary>Runs every file; prints one line per input and the exception of each finding. Returns the findings.</summary>
    public static int Run(FuzzTarget target, IEnumerable<string> paths, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(output);
        int findings = 0;
        int inputs = 0;
        foreach (var file in Files(paths))
        {
            inputs++;
            try
            {
                FuzzTargets.Run(target, File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                findings++;
                output.WriteLine($"FINDING {target.Name} {file}: {e}");
            }
        }

        output.WriteLine($"{target.Name}: {inputs} inputs, {findings} findings");
        return findings;
    }
}
