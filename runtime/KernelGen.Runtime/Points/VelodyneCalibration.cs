using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace KernelGen.Points;

/// <summary>Per-laser corrections of one laser, in degrees and metres.</summary>
public sealed record LaserCalibration(
    int Id, double VerticalDegrees, double RotationalDegrees, double DistanceCorrection,
    double VerticalOffset, double HorizontalOffset);

/// <summary>
/// A Velodyne calibration in the boost-serialization XML form used by Velodyne's and MRPT's tools
/// (<c>distLSB_</c> in centimetres, then <c>points_</c> with one <c>px</c> per laser; offsets in centimetres).
/// The sensors' default calibrations are embedded (BSD-3-Clause, MRPT project data).
/// </summary>
public sealed class VelodyneCalibration
{
    private VelodyneCalibration(double distanceUnit, IReadOnlyList<LaserCalibration> lasers)
    {
        DistanceUnit = distanceUnit;
        Lasers = lasers;
    }

    /// <summary>Metres per raw distance count (0.002 for HDL-32E and VLP-16).</summary>
    public double DistanceUnit { get; }

    /// <summary>Lasers by id.</summary>
    public IReadOnlyList<LaserCalibration> Lasers { get; }

    /// <summary>Velodyne's default HDL-32E calibration.</summary>
    public static VelodyneCalibration DefaultHdl32E => LoadEmbedded("velodyne_default_calib_HDL-32.xml");

    /// <summary>Velodyne's default VLP-16 calibration.</summary>
    public static VelodyneCalibration DefaultVlp16 => LoadEmbedded("velodyne_default_calib_VLP-16.xml");

    /// <summary>The default calibration of <paramref name="model"/>.</summary>
    public static VelodyneCalibration DefaultFor(VelodyneModel model) => model switch
    {
        VelodyneModel.Hdl32E => DefaultHdl32E,
        VelodyneModel.Vlp16 => DefaultVlp16,
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "no default calibration for this model"),
    };

    /// <summary>Reads a calibration XML file.</summary>
    public static VelodyneCalibration Load(string path)
    {
        KernelGen.IO.OutputPaths.RequireRegularFile(path, "Velodyne calibration");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses calibration XML; <paramref name="name"/> names the source in errors.</summary>
    public static VelodyneCalibration Parse(string xml, string name)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"'{name}': not a Velodyne calibration XML ({KernelGen.IO.OneLine.Of(e.Message)})", e);
        }
        var lsb = document.Descendants("distLSB_").FirstOrDefault()
            ?? throw new InvalidDataException($"'{name}': no <distLSB_> element; not a Velodyne calibration XML");
        var lasers = document.Descendants("px")
            .Select(px => new LaserCalibration(
                (int)Number(px, "id_", name),
                Number(px, "vertCorrection_", name),
                Number(px, "rotCorrection_", name),
                Number(px, "distCorrection_", name) / 100.0,
                Number(px, "vertOffsetCorrection_", name) / 100.0,
                Number(px, "horizOffsetCorrection_", name) / 100.0))
            .OrderBy(l => l.Id)
            .ToList();
        if (lasers.Count == 0)
        {
            throw new InvalidDataException($"'{name}': no <px> laser entries");
        }
        return new VelodyneCalibration(ParseDouble(lsb.Value, "distLSB_", name) / 100.0, lasers);
    }

    private static double Number(XElement px, string element, string name)
    {
        var node = px.Element(element) ?? throw new InvalidDataException($"'{name}': a <px> entry lacks <{element}>");
        return ParseDouble(node.Value, element, name);
    }

    private static double ParseDouble(string text, string element, string name) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new InvalidDataException($"'{name}': <{element}> value '{text}' is not a number");

    private static VelodyneCalibration LoadEmbedded(string file)
    {
        string resource = "KernelGen.Points.Calibration." + file;
        using var stream = typeof(VelodyneCalibration).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded calibration {resource} is missing from the assembly");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), file);
    }
}
