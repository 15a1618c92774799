using ResistanceBot.Tips;
using ScottPlot;
using SkiaSharp;

namespace ResistanceBot.Delivery;

/// <summary>Subscribers of one language on one day (UTC).</summary>
internal sealed record SubscribersOn(DateOnly Day, string Language, int Count);

/// <summary>How one edition's delivery ended: sent, refused by Telegram or out of attempts, or dropped (blocked, unsubscribed).</summary>
internal sealed record EditionOutcome(int Number, DateOnly Day, int Sent, int Failed, int Blocked);

/// <summary>What the /stats chart shows: the last <see cref="StatsChart.Days"/> days up to <see cref="Today"/>.</summary>
internal sealed record StatsFigures(DateOnly Today, IReadOnlyList<SubscribersOn> Subscribers, IReadOnlyList<EditionOutcome> Editions, IReadOnlyList<LettersInWeek> Letters);

/// <summary>
/// The picture /stats sends: three panels drawn with ScottPlot onto one PNG. The labels come in the asker's language; the
/// figures are aggregates only, and letters are counted by week, never finer.
/// </summary>
internal static class StatsChart
{
    public const int Width = 1000;
    public const int Height = 1200;
    public const int Days = 30;

    private static readonly Color[] Palette = [Color.FromHex("#4a7aa8"), Color.FromHex("#c0504d"), Color.FromHex("#9bbb59"), Color.FromHex("#8064a2")];

    /// <summary>Each language keeps its colour whichever languages have readers.</summary>
    private static readonly string[] Languages = ["en", "ru", "uk"];

    /// <summary>Draws the chart; <paramref name="t"/> gives a label in the asker's language by key.</summary>
    public static byte[] Render(StatsFigures figures, Func<string, string> t)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentNullException.ThrowIfNull(t);
        if (figures.Letters.Any(l => l.Monday != LettersInWeek.MondayOf(l.Monday)))
        {
            throw new ArgumentException("Letters are counted by week, from a Monday.", nameof(figures));
        }

        ChartFonts.EnsureLoaded();
        var first = figures.Today.AddDays(-(Days - 1));
        Plot[] panels = [Subscribers(figures, first, t), Editions(figures, first, t), Letters(figures, first, t)];
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height));
        surface.Canvas.Clear(SKColors.White);
        var height = Height / panels.Length;
        for (var i = 0; i < panels.Length; i++)
        {
            // Each panel on a surface of its own: a plot fills its whole canvas with its background.
            using var panel = SKSurface.Create(new SKImageInfo(Width, height));
            panels[i].Render(panel);
            using var drawn = panel.Snapshot();
            surface.Canvas.DrawImage(drawn, 0, i * height);
        }

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static Plot Subscribers(StatsFigures figures, DateOnly first, Func<string, string> t)
    {
        var plot = NewPlot(t("stats.chart.subscribers"));
        var languages = figures.Subscribers.Select(s => s.Language).Distinct().Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < languages.Count; i++)
        {
            var points = figures.Subscribers.Where(s => s.Language == languages[i] && s.Day >= first).OrderBy(s => s.Day).ToList();
            var colour = Array.IndexOf(Languages, languages[i]) is >= 0 and var known ? Palette[known] : Palette[3];
            var line = plot.Add.Scatter(points.Select(p => Day(p.Day)).ToArray(), points.Select(p => (double)p.Count).ToArray(), colour);
            line.LegendText = languages[i];
            line.LineWidth = 2;
            line.MarkerSize = points.Count == 1 ? 8 : 4;
        }

        DaysAxis(plot, first, figures.Today);
        plot.Axes.SetLimitsY(0, Math.Max(1, figures.Subscribers.Select(s => s.Count).DefaultIfEmpty(0).Max()) * 1.15);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot Editions(StatsFigures figures, DateOnly first, Func<string, string> t)
    {
        var plot = NewPlot(t("stats.chart.editions"));
        var bars = new List<Bar>();
        foreach (var e in figures.Editions.Where(e => e.Day >= first))
        {
            // Stacked: sent at the bottom, then failed, then blocked.
            double x = Day(e.Day), sent = e.Sent, failed = sent + e.Failed;
            bars.Add(new Bar { Position = x, ValueBase = 0, Value = sent, FillColor = Palette[0], Size = 0.8, LineWidth = 0 });
            bars.Add(new Bar { Position = x, ValueBase = sent, Value = failed, FillColor = Palette[1], Size = 0.8, LineWidth = 0 });
            bars.Add(new Bar { Position = x, ValueBase = failed, Value = failed + e.Blocked, FillColor = Palette[3], Size = 0.8, LineWidth = 0 });
        }

        plot.Add.Bars(bars);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = t("stats.chart.sent"), FillColor = Palette[0] });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = t("stats.chart.failed"), FillColor = Palette[1] });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = t("stats.chart.blocked"), FillColor = Palette[3] });
        DaysAxis(plot, first, figures.Today);
        var top = figures.Editions.Select(e => e.Sent + e.Failed + e.Blocked).DefaultIfEmpty(0).Max();
        plot.Axes.SetLimitsY(0, Math.Max(1, top) * 1.15);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    private static Plot Letters(StatsFigures figures, DateOnly first, Func<string, string> t)
    {
        var plot = NewPlot(t("stats.chart.letters"));
        var firstMonday = LettersInWeek.MondayOf(first);
        var weeks = Enumerable.Range(0, (figures.Today.DayNumber - firstMonday.DayNumber) / 7 + 1).Select(w => firstMonday.AddDays(7 * w)).ToList();
        var counts = weeks.Select(w => figures.Letters.Where(l => l.Monday == w).Sum(l => l.Count)).ToList();
        var bars = weeks.Select((w, i) => new Bar { Position = i, Value = counts[i], FillColor = Palette[2], Size = 0.7 }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(
            [.. Enumerable.Range(0, weeks.Count).Select(i => (double)i)],
            [.. weeks.Select(w => w.ToString("dd.MM", System.Globalization.CultureInfo.InvariantCulture) + "–" + w.AddDays(6).ToString("dd.MM", System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.SetLimitsX(-0.6, weeks.Count - 0.4);
        plot.Axes.SetLimitsY(0, Math.Max(1, counts.DefaultIfEmpty(0).Max()) * 1.15);
        return plot;
    }

    public const int CurveWidth = 640;
    public const int CurveHeight = 320;

    /// <summary>
    /// An edition's delivery curve for its final progress message: messages sent by each moment since the first send.
    /// <paramref name="sentBy"/> holds (time since the first send, in the unit <paramref name="unit"/> names; messages sent by then), in order.
    /// </summary>
    public static byte[] RenderCurve(IReadOnlyList<(double Since, int Sent)> sentBy, string title, string unit)
    {
        ArgumentNullException.ThrowIfNull(sentBy);
        ChartFonts.EnsureLoaded();
        var plot = NewPlot(title);
        var line = plot.Add.Scatter(sentBy.Select(p => p.Since).ToArray(), sentBy.Select(p => (double)p.Sent).ToArray(), Palette[0]);
        line.LineWidth = 2;
        line.MarkerSize = 0;
        plot.XLabel(unit);
        plot.Axes.SetLimitsY(0, Math.Max(1, sentBy.Select(p => p.Sent).DefaultIfEmpty(0).Max()) * 1.1);
        plot.Axes.SetLimitsX(0, Math.Max(sentBy.Select(p => p.Since).DefaultIfEmpty(0).Max(), 0.1));
        return plot.GetImageBytes(CurveWidth, CurveHeight, ImageFormat.Png);
    }

    private static Plot NewPlot(string title)
    {
        var plot = new Plot();
        plot.Title(title, 18);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Grid.MajorLineColor = Color.FromHex("#e4e4e4");
        return plot;
    }

    private static double Day(DateOnly day) => day.ToDateTime(TimeOnly.MinValue).ToOADate();

    private static void DaysAxis(Plot plot, DateOnly first, DateOnly today)
    {
        var axis = plot.Axes.DateTimeTicksBottom();
        if (axis.TickGenerator is ScottPlot.TickGenerators.DateTimeAutomatic days)
        {
            days.LabelFormatter = d => d.ToString("dd.MM", System.Globalization.CultureInfo.InvariantCulture);
        }

        plot.Axes.SetLimitsX(Day(first) - 0.7, Day(today) + 0.7);
    }
}

/// <summary>
/// The font the charts write in: one with Cyrillic, from the system's font files (Debian: fonts-dejavu-core). SkiaSharp is
/// built here without fontconfig, so fonts are loaded by file, once.
/// </summary>
internal static class ChartFonts
{
    public const string Name = "DejaVu Sans";

    private static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ];

    private static readonly Lazy<bool> Loaded = new(() =>
    {
        if (Candidates.FirstOrDefault(File.Exists) is not { } path)
        {
            return false;
        }

        Fonts.AddFontFile(Name, path);
        Fonts.Default = Name;
        return true;
    });

    /// <summary>Whether the font was found; without it, ScottPlot's default is used and Cyrillic may not show.</summary>
    public static bool EnsureLoaded() => Loaded.Value;
}
