using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class UnlinkableTags : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The sender tags Unlinkable blanked (they were keyed with the configuration's key): now they can be NULL.
            migrationBuilder.Sql("UPDATE \"tips\" SET \"SenderTag\" = NULL WHERE length(\"SenderTag\") = 0;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

        }
    }
}
