import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { AuthUser } from '../auth/auth.constants';
import { PageQuery } from '../common/dto/page.dto';
import { CurrentUser } from '../auth/current-user.decorator';
import { CreateNoteDto, UpdateNoteDto } from './dto/note.dto';
import { Note, NotesService } from './notes.service';

/** CRUD on the caller's own notes (any authenticated role). */
@Controller('notes')
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  @Get()
  findAll(@CurrentUser() user: AuthUser, @Query() page: PageQuery): Promise<Note[]> {
    return this.notes.findAll(user.id, page);
  }

  @Post()
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateNoteDto): Promise<Note> {
    return this.notes.create(user.id, dto.title, dto.body);
  }

  @Get(':id')
  findOne(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<Note> {
    return this.notes.findOne(user.id, id);
  }

  @Patch(':id')
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateNoteDto,
  ): Promise<Note> {
    return this.notes.update(user.id, id, dto.title, dto.body);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  remove(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    return this.notes.remove(user.id, id);
  }
}
