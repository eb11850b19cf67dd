namespace StyleProbe;

public static class Violation
{
    // Breaks csharp_prefer_braces (IDE0011) on purpose.
    public static int Sign(int value)
    {
        if (value < 0) return -1;
        return 1;
    }
}
