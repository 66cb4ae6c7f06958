"""Name lists for synthetic people, with frequency weights.

Weights are rough relative frequencies (England and Wales birth registrations
and surname counts), so that common names are common: linkage models weigh a
match on "Smith" far less than a match on "Okonkwo", and the synthetic data
must reproduce that term-frequency effect. Separate South Asian and Black
British lists let linkage accuracy be compared across ethnic groups, where
real-world spelling variation is known to differ.
"""

from __future__ import annotations

from itertools import accumulate


def _weighted(text: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Parse "Name weight Name weight ..." into names and cumulative weights."""
    words = text.split()
    names = tuple(words[0::2])
    weights = [float(w) for w in words[1::2]]
    return names, tuple(accumulate(weights))


FEMALE_FIRST = _weighted("""
Olivia 90 Amelia 85 Isla 55 Ava 60 Emily 95 Sophie 90 Grace 65 Mia 50 Poppy 40
Ella 55 Lily 60 Jessica 95 Evie 40 Chloe 85 Charlotte 80 Lucy 85 Hannah 85
Sophia 45 Ruby 50 Megan 75 Holly 55 Amy 75 Rebecca 75 Lauren 80 Bethany 55
Sarah 110 Emma 100 Laura 95 Rachel 80 Claire 85 Nicola 80 Michelle 80 Joanne 75
Lisa 80 Kelly 60 Gemma 65 Donna 45 Helen 75 Samantha 75 Kerry 45 Victoria 75
Katherine 60 Katie 55 Kate 45 Elizabeth 80 Jennifer 60 Louise 70 Natalie 60
Stephanie 55 Jade 55 Danielle 50 Leanne 45 Amanda 55 Karen 60 Julie 60 Tracey 45
Dawn 35 Susan 50 Alison 45 Angela 45 Caroline 45 Catherine 50 Deborah 40
Margaret 40 Patricia 35 Jane 45 Anne 35 Mary 40 Zoe 50 Abigail 55 Alice 55
Freya 45 Florence 35 Isabella 45 Isabelle 40 Harriet 30 Phoebe 35 Scarlett 35
Matilda 30 Rosie 40 Daisy 45 Eleanor 40 Esme 25 Willow 25 Ivy 30 Sienna 25
Maisie 30 Millie 45 Molly 45 Imogen 35 Georgia 45 Eva 35 Erin 40 Niamh 30
Aisha 25 Amber 40 Jasmine 40 Leah 40 Paige 40 Shannon 35 Courtney 35 Kayleigh 30
Chelsea 30 Demi 25 Naomi 30 Rose 30 Summer 25 Faith 20 Heidi 20 Lola 20 Layla 30
Maya 30 Aria 25 Luna 25 Nancy 20 Violet 20 Elsie 30 Thea 20 Orla 15 Robyn 30
Kirsty 35 Ashleigh 30 Hayley 40 Natasha 35 Vicky 20 Toni 20 Sharon 40 Tina 25
Wendy 25 Carol 30 Lynne 20 Joanna 30 Fiona 30 Heather 30 Diane 30 Debbie 20
Teresa 20 Vanessa 20 Melissa 30 Kimberley 25 Charlene 20 Rachael 20 Carly 25
Sian 25 Ffion 15 Eloise 20 Clara 20 Beatrice 15 Edith 15 Lydia 25 Annabelle 15
Francesca 20 Gabriella 15 Katrina 15 Abbie 30 Alicia 20 Bella 20 Caitlin 40
Ellie 55 Eliza 15 Hollie 20 Jodie 30 Jenna 20 Keeley 15 Libby 25 Lacey 15
Tilly 20 Mollie 20 Darcey 15 Harper 15 Iris 15 Ada 15 Mila 20 Hallie 10
Penelope 10 Serena 10 Tamsin 10 Yvonne 15 Julia 20 Judith 15 Janet 25
""")

MALE_FIRST = _weighted("""
Oliver 85 George 80 Harry 85 Noah 50 Jack 95 Charlie 65 Leo 40 Jacob 55
Freddie 40 Alfie 45 Oscar 45 Arthur 35 Thomas 110 James 120 William 75
Joshua 80 Daniel 100 Matthew 95 Ryan 70 Luke 70 Adam 70 Liam 45 Callum 45
Jordan 45 Connor 50 Kyle 40 Lewis 55 Nathan 60 Samuel 70 Benjamin 65 Joseph 75
Alexander 60 Michael 100 David 110 Christopher 100 Andrew 90 Mark 80 Paul 80
Richard 70 Robert 70 John 85 Stephen 70 Steven 50 Peter 45 Simon 45 Anthony 50
Jonathan 45 Martin 40 Lee 45 Craig 45 Darren 40 Wayne 30 Gary 35 Neil 30
Ian 35 Jason 40 Carl 30 Dean 30 Scott 40 Shaun 30 Ben 45 Jamie 55 Aaron 40
Ashley 25 Bradley 30 Reece 30 Kieran 35 Declan 20 Dominic 25 Edward 50 Henry 50
Harrison 35 Ethan 55 Mason 40 Logan 30 Lucas 40 Isaac 35 Max 40 Archie 45
Theo 35 Theodore 20 Teddy 20 Finley 30 Riley 35 Dylan 40 Tyler 40 Owen 35
Rhys 30 Evan 25 Elliot 30 Louis 30 Toby 35 Jake 50 Cameron 40 Jayden 25
Alex 35 Billy 30 Bobby 25 Reuben 20 Sebastian 25 Hugo 20 Rory 25 Finn 25
Frankie 20 Stanley 25 Albert 20 Albie 15 Ronnie 20 Tommy 25 Louie 20 Zachary 25
Elijah 20 Jude 20 Ezra 15 Hunter 15 Ollie 20 Kai 25 Jenson 20 Carter 15
Sonny 15 Roman 15 Hayden 20 Brandon 25 Joel 25 Nicholas 40 Philip 30 Timothy 25
Graham 25 Kevin 40 Keith 25 Colin 20 Brian 25 Barry 20 Alan 30 Trevor 15
Kenneth 15 Dennis 10 Patrick 25 Sean 35 Gavin 25 Stuart 35 Russell 20
Matthew 10 Ross 25 Grant 15 Glen 15 Dale 20 Leon 25 Marcus 25 Nathaniel 15
Spencer 15 Gareth 25 Dafydd 10 Ieuan 8 Aled 8 Rhodri 8 Cai 10 Gethin 8 Jay 20
Ricky 20 Danny 25 Mitchell 15 Curtis 15 Liam 15 Jacob 10 Harvey 35 Frederick 15
Ewan 15 Fraser 10 Angus 10 Hamish 8 Calum 10 Conor 15 Aidan 20 Brendan 10
Francis 15 Gerald 10 Howard 10 Victor 10 Vincent 10 Warren 15 Terry 20 Roy 15
""")

SOUTH_ASIAN_FEMALE = _weighted("""
Aisha 30 Fatima 35 Maryam 30 Zainab 25 Ayesha 20 Amina 20 Sana 15 Hafsa 15
Khadija 15 Noor 15 Safa 10 Iqra 15 Anisa 10 Nadia 15 Samina 10 Shazia 10
Rubina 10 Farah 10 Priya 20 Anjali 10 Pooja 10 Simran 10 Harpreet 10
Jaspreet 10 Manpreet 8 Kiran 10 Sunita 8 Neha 8 Asha 8 Alisha 10 Hina 8
Sadia 8 Nazia 8 Rukhsana 6 Parveen 6 Tahira 6 Saima 8 Yasmin 15 Sofia 15
""")

SOUTH_ASIAN_MALE = _weighted("""
Mohammed 60 Muhammad 45 Mohammad 25 Ali 30 Ahmed 30 Hassan 20 Hussain 20
Ibrahim 25 Yusuf 25 Omar 25 Adam 20 Ayaan 15 Zain 15 Hamza 20 Bilal 15
Imran 15 Asif 10 Tariq 10 Kamran 10 Rizwan 8 Shahid 8 Faisal 10 Abdul 15
Arjun 15 Rohan 10 Aarav 10 Vikram 8 Sanjay 8 Rajesh 8 Amit 8 Gurpreet 8
Harjit 6 Jaswinder 6 Sukhdeep 6 Ravi 8 Sunil 8 Nikhil 6 Zayn 10 Rayyan 10
""")

BLACK_FEMALE = _weighted("""
Grace 20 Blessing 15 Precious 12 Favour 10 Esther 12 Ruth 10 Abena 8 Ama 8
Adwoa 6 Chioma 10 Ngozi 8 Amara 12 Zara 12 Nia 10 Imani 8 Tiana 10 Kayla 10
Shanice 10 Keisha 8 Tanisha 6 Simone 10 Marcia 8 Yolanda 6 Funmilayo 6
Folake 6 Adaeze 6 Ifeoma 6 Hodan 8 Amal 8 Ayan 8 Hibaq 6 Fartun 5 Naima 8
Sade 8 Aaliyah 10 Jada 8 Nadine 8 Michelle 8 Patience 6 Joy 10
""")

BLACK_MALE = _weighted("""
David 15 Daniel 15 Samuel 15 Joshua 12 Emmanuel 15 Kwame 10 Kofi 10 Kwabena 6
Kojo 6 Chinedu 10 Obinna 8 Chukwuemeka 6 Oluwaseun 8 Tunde 8 Femi 8 Ayo 6
Tobi 8 Malachi 12 Jermaine 10 Tyrone 8 Marcus 10 Andre 10 Delroy 6 Winston 6
Nathaniel 10 Isaiah 12 Elijah 12 Mohamed 15 Abdi 10 Abdirahman 6 Yusuf 8
Ahmed 8 Mustafa 6 Kelvin 8 Godwin 6 Prince 8 Junior 8 Reuben 6 Jamal 8 Kyrie 6
""")

SURNAMES = _weighted("""
Smith 500 Jones 380 Taylor 290 Brown 280 Williams 270 Wilson 240 Johnson 230
Davies 230 Robinson 200 Wright 200 Thompson 195 Evans 190 Walker 190 White 185
Roberts 180 Green 175 Hall 175 Wood 170 Jackson 165 Clarke 160 Patel 160
Khan 150 Lewis 150 James 145 Phillips 140 Mason 135 Mitchell 135 Rose 130
Davis 130 Rodriguez 30 Cox 120 Alexander 60 Morgan 135 Moore 125 Martin 125
Turner 125 Hill 125 Cooper 120 Ward 120 Morris 120 King 120 Harris 120
Baker 115 Harrison 115 Lee 115 Allen 110 Young 110 Scott 110 Watson 110
Edwards 110 Anderson 105 Clark 105 Hughes 105 Carter 100 Parker 100 Bennett 100
Shaw 95 Lloyd 95 Ali 95 Griffiths 95 Chapman 90 Marshall 90 Bailey 90
Collins 90 Bell 90 Price 90 Adams 90 Murphy 90 Kelly 85 Richardson 85
Simpson 85 Cook 85 Campbell 85 Holmes 80 Ellis 80 Jenkins 80 Stevens 80
Webb 80 Matthews 80 Fisher 80 Owen 75 Gray 75 Dixon 75 Murray 75 Palmer 75
Graham 75 Mills 75 Knight 75 Hunt 75 Atkinson 70 Barker 70 Butler 70 Pearson 70
Russell 70 Foster 70 Gibson 70 Stewart 70 Saunders 65 Ryan 65 Reynolds 65
Hamilton 60 Payne 65 Pearce 65 Dawson 60 Powell 65 Fox 60 Lawrence 60 Berry 60
Barnes 60 Kennedy 60 Wells 60 Spencer 60 Harvey 60 Grant 55 Holland 55
Rogers 60 Andrews 60 Booth 55 West 55 Burton 55 Porter 55 Gordon 55 Reid 55
Dunn 55 Jordan 50 Walsh 55 Hudson 50 Cole 50 Robertson 50 Ford 50 Hayes 50
Hart 50 Newman 50 Mann 50 Wallace 50 Stone 50 Watts 50 Lane 50 Chambers 50
Armstrong 50 Bradley 50 Gill 60 Day 45 Ball 45 Hussain 70 Ahmed 70 Begum 60
Singh 70 Kaur 55 Sharma 25 Shah 35 Iqbal 30 Akhtar 30 Rahman 35 Islam 30
Miah 30 Uddin 25 Mahmood 25 Mohammed 35 Hassan 25 Malik 25 Bibi 20 Aziz 15
Sheikh 15 Chaudhry 15 Parveen 10 Nawaz 12 Rashid 15 Siddiqui 10 Qureshi 12
Mistry 12 Chauhan 10 Kumar 20 Lal 10 Sandhu 10 Dhillon 10 Grewal 8 Bains 8
Okafor 12 Okonkwo 8 Adeyemi 12 Adebayo 12 Oluwole 6 Mensah 12 Owusu 12 Boateng 10
Asante 8 Osei 10 Appiah 6 Nwosu 6 Eze 8 Obi 8 Ogunleye 5 Bello 6 Abdi 12
Mohamud 12 Hussein 10 Farah 10 Ibrahim 12 Omar 8 Warsame 6 Campbell 10
Francis 40 Samuels 10 Forbes 20 Sinclair 25 Gayle 8 Bailey 10 Thomas 180
Roberts 10 Hughes 10 Morgan 10 Rees 50 Jenkins 10 Price 10 Howells 20 Pritchard 25
Vaughan 25 Llewellyn 15 Parry 40 Bevan 20 Powell 10 Gough 15 Ashworth 20
Barlow 30 Barrett 30 Bates 35 Baxter 30 Bird 35 Bishop 35 Black 30 Blake 30
Bolton 20 Bond 30 Bowen 30 Boyle 20 Bradshaw 25 Brady 20 Bray 15 Brennan 20
Briggs 20 Brooks 40 Buckley 30 Bull 15 Burgess 35 Burke 30 Burns 35 Bush 15
Byrne 30 Cameron 25 Carr 35 Carroll 25 Cartwright 20 Chandler 20 Charlton 20
Cliff 10 Coates 20 Cohen 15 Connolly 20 Conway 20 Cooke 30 Cross 25 Crossley 15
Cunningham 25 Curtis 30 Dale 20 Daniels 25 Dean 30 Dennis 20 Dickinson 20
Dobson 25 Doherty 25 Donnelly 15 Douglas 30 Doyle 30 Duffy 20 Duncan 25
Dyer 20 Elliott 45 Farrell 20 Faulkner 20 Fell 8 Fenton 15 Field 20 Finch 15
Fleming 25 Fletcher 40 Flynn 20 Francis 10 Fraser 25 Freeman 30 French 20
Fuller 20 Gallagher 25 Gardner 35 Garner 20 George 30 Gilbert 30 Glover 25
Goddard 20 Godfrey 15 Goodwin 25 Gould 20 Greenwood 30 Gregory 30 Griffin 30
Hale 15 Hammond 25 Hancock 20 Hanson 15 Hardy 30 Harper 30 Hawkins 30 Haynes 25
Heath 25 Henderson 35 Hewitt 25 Hicks 25 Higgins 25 Hilton 15 Hobbs 20
Hodgson 30 Holden 15 Holt 25 Hopkins 30 Horton 20 Houghton 20 Howard 40
Howarth 20 Hubbard 15 Humphreys 25 Hunter 30 Hutchinson 25 Ingram 15 Jarvis 25
Jennings 25 Johnston 30 Kay 15 Kemp 20 Kent 20 Kerr 20 Kirby 20 Kirk 15 Knowles 20
Lamb 25 Lambert 30 Law 15 Lawson 25 Leach 20 Little 25 Lord 20 Lowe 35 Lucas 30
Lynch 30 Mack 8 Marsh 30 Maxwell 15 May 20 McCarthy 25 McDonald 35 McKenzie 20
Mellor 20 Middleton 20 Miles 25 Miller 45 Milner 15 Moran 15 Morley 20
Morrison 25 Moss 30 Myers 15 Nash 20 Naylor 20 Nelson 25 Newton 25 Nicholls 30
Nicholson 25 Norris 20 North 15 Norton 20 Oliver 30 O'Brien 30 O'Connor 25
O'Neill 25 Osborne 20 Page 25 Parkinson 25 Parsons 25 Pearce 10 Perkins 20
Perry 30 Peters 20 Pickering 15 Pollard 15 Poole 25 Potter 25 Pratt 20
Preston 20 Quinn 20 Randall 15 Read 25 Reeves 25 Rhodes 25 Richards 45 Riley 35
Rowe 25 Rowley 15 Sanders 20 Savage 20 Schofield 20 Sharp 25 Sharpe 20
Shepherd 30 Short 15 Slater 25 Small 15 Stanley 20 Steele 20 Stephens 30
Stephenson 25 Stokes 20 Sullivan 25 Sutton 25 Swift 15 Sykes 20 Talbot 15
Thomson 25 Thornton 25 Tucker 25 Tyler 15 Wade 20 Walters 25 Walton 20 Warner 20
Warren 25 Waters 20 Watkins 30 Weston 20 Wheeler 25 Whitehead 25 Wilkins 25
Wilkinson 40 Willis 25 Wong 15 Woodward 25 Woods 30 Wyatt 15 Yates 25 Zhang 8
Chen 10 Li 8 Wang 8 Nguyen 8 Kowalski 8 Nowak 10 Wisniewski 5 Kaminski 5
Popescu 5 Silva 8 Santos 8 Costa 6 Ferreira 6 Rossi 5 Murphy 10 Kelly 10
O'Sullivan 12 Walsh 10 Byrne 10 Ryan 10 Quigley 6 Keane 8 Healy 8 Regan 8
Sweeney 8 Nolan 10 Kavanagh 8 Power 12 Hogan 8 Cullen 8 Moloney 6 Whelan 8
Ashton 15 Atherton 10 Bancroft 8 Beckett 10 Birch 12 Blackburn 15 Bottomley 8
Butterworth 10 Calvert 8 Clegg 10 Crowther 8 Dyson 15 Earnshaw 6 Firth 10
Gledhill 6 Haigh 10 Hirst 12 Holroyd 6 Illingworth 6 Jagger 6 Lumb 5 Marsden 12
Midgley 6 Moorhouse 6 Ormerod 5 Pickles 6 Priestley 8 Ramsden 8 Shackleton 6
Sutcliffe 12 Thackray 5 Whiteley 8 Wormald 5 Hargreaves 15 Ackroyd 5 Greaves 10
""")

SOUTH_ASIAN_SURNAMES = _weighted("""
Khan 60 Hussain 50 Ahmed 50 Ali 60 Patel 60 Begum 30 Singh 40 Kaur 30 Shah 25
Iqbal 20 Akhtar 20 Rahman 25 Islam 20 Miah 20 Uddin 15 Mahmood 15 Malik 15
Sharma 15 Kumar 15 Mistry 10 Chauhan 8 Sandhu 8 Dhillon 8 Rashid 10 Aziz 8
Qureshi 8 Chaudhry 10 Nawaz 8 Bibi 10 Javed 8 Saleem 8 Anwar 8 Butt 10 Raja 6
""")

BLACK_SURNAMES = _weighted("""
Okafor 12 Okonkwo 10 Adeyemi 12 Adebayo 12 Mensah 12 Owusu 12 Boateng 10
Asante 8 Osei 10 Eze 8 Obi 8 Bello 6 Abdi 12 Mohamud 12 Hussein 10 Farah 10
Ibrahim 10 Warsame 6 Campbell 15 Williams 15 Brown 15 Francis 10 Samuels 8
Forbes 8 Gayle 8 Thomas 10 Johnson 12 Clarke 10 Oduya 5 Nwachukwu 6 Ogunbiyi 5
Agyeman 6 Addo 6 Darko 5 Ofori 6 Mohammed 10 Grant 8 Henry 8 Lewis 10
""")

# Familiar forms and spelling variants a clerk might record instead of the
# name on the birth certificate. Keys are the formal name; a record picks one
# of the values.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Kate", "Cath"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Thomas": ("Tom", "Tommy"),
    "Michael": ("Mike", "Mick", "Micky"),
    "Christopher": ("Chris", "Kit"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony", "Ant"),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Andrew": ("Andy", "Drew"),
    "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Jonny"),
    "Joseph": ("Joe", "Joey"),
    "Benjamin": ("Ben", "Benji"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Sandy", "Xander"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Frederick": ("Fred", "Freddie"),
    "Henry": ("Harry", "Hal"),
    "Joshua": ("Josh",),
    "Zachary": ("Zach",),
    "Timothy": ("Tim",),
    "Philip": ("Phil",),
    "Peter": ("Pete",),
    "David": ("Dave", "Davy"),
    "Charles": ("Charlie", "Chas"),
    "Kenneth": ("Ken", "Kenny"),
    "Patrick": ("Pat", "Paddy"),
    "Theodore": ("Theo", "Ted"),
    "Nathaniel": ("Nathan", "Nat"),
    "Mohammed": ("Muhammad", "Mohammad", "Mohamed", "Mohd"),
    "Muhammad": ("Mohammed", "Mohammad", "Mohamed"),
    "Mohammad": ("Mohammed", "Muhammad"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Samantha": ("Sam", "Sammy"),
    "Victoria": ("Vicky", "Tori"),
    "Jessica": ("Jess", "Jessie"),
    "Abigail": ("Abbie", "Abby"),
    "Natalie": ("Nat",),
    "Nicola": ("Nicky", "Nikki"),
    "Deborah": ("Debbie", "Deb"),
    "Patricia": ("Pat", "Trish"),
    "Susan": ("Sue", "Susie"),
    "Stephanie": ("Steph",),
    "Charlotte": ("Lottie", "Charlie"),
    "Eleanor": ("Ellie", "Nell"),
    "Isabella": ("Bella", "Izzy"),
    "Isabelle": ("Izzy", "Belle"),
    "Alexandra": ("Alex", "Lexi"),
    "Amanda": ("Mandy",),
    "Caroline": ("Carrie", "Caz"),
    "Francesca": ("Fran", "Frankie"),
    "Gabriella": ("Gabby", "Ella"),
    "Harriet": ("Hattie",),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Joanna": ("Jo",),
    "Kimberley": ("Kim",),
    "Matilda": ("Tilly",),
    "Penelope": ("Penny",),
    "Rachael": ("Rach",),
    "Rachel": ("Rach",),
    "Jacqueline": ("Jackie",),
    "Ayesha": ("Aisha",),
    "Aisha": ("Ayesha",),
    "Fatima": ("Fatimah",),
}
