using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ResistanceBot.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CleanedFiles : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Extension",
                table: "tip_parts",
                type: "TEXT",
                maxLength: 8,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Held",
                table: "tip_parts",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            // Older versions kept every file's own name, sealed to the vault; no tipster chose to keep theirs.
            migrationBuilder.Sql("UPDATE \"tip_parts\" SET \"SealedName\" = NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Extension",
                table: "tip_parts");

            migrationBuilder.DropColumn(
                name: "Held",
                table: "tip_parts");
        }
    }
}
